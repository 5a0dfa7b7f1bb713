//! The literal mode of article 2: its claims, each checked right after the step of the article it
//! follows, while the replay runs the article's own commands in the sandbox. The checks look at
//! what a step printed and ask the sandbox's engine; none of them changes what its claim is about
//! (the one container a check starts, for the first-mount claim, mounts a volume of its own).

use crate::walkthrough::markdown::claims::{check, ClaimCheck};

mod mounts;
mod probes;
mod volumes;

use mounts::{
    cell_wrote, container_writes, csv_after_restart, first_mount_creates, host_edits_show,
    host_still_edits, lands_in_volume, new_container_sees_data, readonly_refuses,
    volume_after_restart, volume_writable,
};
use probes::printed;
use volumes::{
    generated_name, left_dangling, logs_url, owned_by, permission_error, ps_lists, removed_with_rm,
    volume_flag, volume_removed,
};

/// The files the article's `ls -l` lists, with their owners.
const LISTED: [&str; 3] = ["computation.ipynb", "Dockerfile", "outputs"];

/// The named-volume runs are keyed by their order (#2, #3), not their volume's destination: that is
/// the erratum `--fix` corrects (`fixes.md`), and the patched article's checks must find their steps.
pub const CLAIMS: &[ClaimCheck] = &[
    check(
        "anonymous-volume-per-container",
        "docker volume ls",
        generated_name,
    ),
    check(
        "rm-removes-anonymous-volume",
        "ctrl+c:docker run -it --rm",
        removed_with_rm,
    ),
    check(
        "anonymous-volume-mounted",
        "docker run -d -v /project/outputs",
        volume_flag,
    ),
    check("ps-lists-container", "docker ps", ps_lists),
    check("logs-show-url", "docker logs", logs_url),
    check(
        "cell-raises-permission-error",
        "cell:import pandas as pd",
        permission_error,
    ),
    check("outputs-owned-by-root", "ls -l", |p| {
        owned_by(p, "root", "root")
    }),
    check("whoami-jovyan", "whoami", |p| printed(p, "jovyan")),
    check("rm-leaves-anonymous-volume", "docker rm", left_dangling),
    check("volume-rm-removes", "docker volume rm", volume_removed),
    check("chown-owns-files", "ls -l #2", |p| {
        owned_by(p, "jovyan", "users")
    }),
    check("id-prints-jovyan", "id", |p| {
        printed(p, "uid=1000(jovyan) gid=100(users) groups=100(users)")
    }),
    check("cell-writes-csv", "cell:import pandas as pd #2", cell_wrote),
    check(
        "data-in-volume",
        "cell:import pandas as pd #2",
        lands_in_volume,
    ),
    check("csv-survives-restart", "docker start", csv_after_restart),
    check(
        "anonymous-volume-survives-restart",
        "docker start",
        volume_after_restart,
    ),
    check(
        "named-volume-created-on-mount",
        "docker volume create",
        first_mount_creates,
    ),
    check(
        "named-volume-writable",
        "docker run -d -v named-data-volume:",
        volume_writable,
    ),
    check(
        "named-volume-outlives-container",
        "docker run -d -v named-data-volume: #2",
        new_container_sees_data,
    ),
    check(
        "host-edit-seen",
        "docker run -d -v named-data-volume: #2",
        host_edits_show,
    ),
    check(
        "writable-without-readonly",
        "docker run -d -v named-data-volume: #2",
        container_writes,
    ),
    check(
        "readonly-blocks-container",
        "docker run -d -v named-data-volume: #3",
        readonly_refuses,
    ),
    check(
        "readonly-host-edits-seen",
        "docker run -d -v named-data-volume: #3",
        host_still_edits,
    ),
];

#[cfg(test)]
mod tests {
    use super::CLAIMS;
    use crate::walkthrough::markdown::claims::step_of;
    use crate::walkthrough::markdown::{placeholders, read, StepKind, Values};

    /// Each claim finds its step in the article (read from ../shared/series, as the replay reads
    /// it), the steps in the article's order, and a claim keyed to a command follows a command.
    #[test]
    fn every_claim_finds_its_step_in_order() {
        let path = crate::paths::root().join("../shared/series/manage-jupyter-data-docker.md");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let steps = placeholders::fill(
            &read(&text),
            &Values::for_article("manage-jupyter-data-docker"),
        );
        let mut last = 0;
        for c in CLAIMS {
            let k = step_of(c.after, &steps).unwrap_or_else(|| {
                panic!(
                    "{:?} follows {:?}, which the article does not have",
                    c.id, c.after
                )
            });
            assert!(k >= last, "{:?} is out of the article's order", c.id);
            last = k;
            let command = matches!(steps[k].kind, StepKind::Command { .. });
            assert_eq!(
                command,
                !c.after.starts_with("cell:") && !c.after.starts_with("ctrl+c:"),
                "{:?}",
                c.after
            );
        }
        let line = |after: &str| steps[step_of(after, &steps).unwrap()].line;
        assert!(
            line("docker run -d -v named-data-volume: #3")
                > line("docker run -d -v named-data-volume: #2")
        );
    }
}
