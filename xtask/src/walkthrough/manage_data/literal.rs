//! The literal mode of article 2: its claims, each checked right after the step of the article it
//! follows, while the replay runs the article's own commands in the sandbox. The checks look at
//! what a step printed and ask the sandbox's engine; none of them changes what its claim is about
//! (the one container a check starts, for the first-mount claim, mounts a volume of its own).

use crate::walkthrough::markdown::claims::ClaimCheck;

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

pub const CLAIMS: &[ClaimCheck] = &[
    ClaimCheck {
        id: "anonymous-volume-per-container",
        after: "docker volume ls",
        check: generated_name,
    },
    ClaimCheck {
        id: "rm-removes-anonymous-volume",
        after: "ctrl+c:docker run -it --rm",
        check: removed_with_rm,
    },
    ClaimCheck {
        id: "anonymous-volume-mounted",
        after: "docker run -d -v /project/outputs",
        check: volume_flag,
    },
    ClaimCheck {
        id: "ps-lists-container",
        after: "docker ps",
        check: ps_lists,
    },
    ClaimCheck {
        id: "logs-show-url",
        after: "docker logs",
        check: logs_url,
    },
    ClaimCheck {
        id: "cell-raises-permission-error",
        after: "cell:import pandas as pd",
        check: permission_error,
    },
    ClaimCheck {
        id: "outputs-owned-by-root",
        after: "ls -l",
        check: |p| owned_by(p, "root", "root"),
    },
    ClaimCheck {
        id: "whoami-jovyan",
        after: "whoami",
        check: |p| printed(p, "jovyan"),
    },
    ClaimCheck {
        id: "rm-leaves-anonymous-volume",
        after: "docker rm",
        check: left_dangling,
    },
    ClaimCheck {
        id: "volume-rm-removes",
        after: "docker volume rm",
        check: volume_removed,
    },
    ClaimCheck {
        id: "chown-owns-files",
        after: "ls -l #2",
        check: |p| owned_by(p, "jovyan", "users"),
    },
    ClaimCheck {
        id: "id-prints-jovyan",
        after: "id",
        check: |p| printed(p, "uid=1000(jovyan) gid=100(users) groups=100(users)"),
    },
    ClaimCheck {
        id: "cell-writes-csv",
        after: "cell:import pandas as pd #2",
        check: cell_wrote,
    },
    ClaimCheck {
        id: "data-in-volume",
        after: "cell:import pandas as pd #2",
        check: lands_in_volume,
    },
    ClaimCheck {
        id: "csv-survives-restart",
        after: "docker start",
        check: csv_after_restart,
    },
    ClaimCheck {
        id: "anonymous-volume-survives-restart",
        after: "docker start",
        check: volume_after_restart,
    },
    ClaimCheck {
        id: "named-volume-created-on-mount",
        after: "docker volume create",
        check: first_mount_creates,
    },
    ClaimCheck {
        id: "named-volume-writable",
        after: "docker run -d -v named-data-volume:/project/outputs -it",
        check: volume_writable,
    },
    ClaimCheck {
        id: "named-volume-outlives-container",
        after: "docker run -d -v named-data-volume:/project/outputs --mount",
        check: new_container_sees_data,
    },
    ClaimCheck {
        id: "host-edit-seen",
        after: "docker run -d -v named-data-volume:/project/outputs --mount",
        check: host_edits_show,
    },
    ClaimCheck {
        id: "writable-without-readonly",
        after: "docker run -d -v named-data-volume:/project/outputs --mount",
        check: container_writes,
    },
    ClaimCheck {
        id: "readonly-blocks-container",
        after: "docker run -d -v named-data-volume:/project/outputs --mount #2",
        check: readonly_refuses,
    },
    ClaimCheck {
        id: "readonly-host-edits-seen",
        after: "docker run -d -v named-data-volume:/project/outputs --mount #2",
        check: host_still_edits,
    },
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
            line("docker run -d -v named-data-volume:/project/outputs --mount #2")
                > line("docker run -d -v named-data-volume:/project/outputs --mount")
        );
    }
}
