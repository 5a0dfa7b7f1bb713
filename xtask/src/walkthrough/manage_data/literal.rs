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
        section: "Anonymous volumes",
        after: "docker volume ls",
        claim: "VOLUME [\"/project/outputs\"] gives each container an anonymous volume with a generated name",
        expected: true,
        check: generated_name,
    },
    ClaimCheck {
        section: "Anonymous volumes",
        after: "ctrl+c:docker run -it --rm",
        claim: "with --rm, stopping the container removes it and its anonymous volume",
        expected: true,
        check: removed_with_rm,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker run -d -v /project/outputs",
        claim: "`-v /project/outputs` mounts an anonymous volume there",
        expected: true,
        check: volume_flag,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker ps",
        claim: "`docker ps` lists the running container with its ID and name (the article shows `docker volume ls` output under it)",
        expected: true,
        check: ps_lists,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker logs",
        claim: "`docker logs` of the detached container shows the URL http://127.0.0.1:8888/lab?token=<48 hex> and the token works",
        expected: true,
        check: logs_url,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "cell:import pandas as pd",
        claim: "running the cell raises PermissionError: [Errno 13] Permission denied: 'outputs/Motorized-Foot-Scooter-Trips-2020.csv'",
        expected: true,
        check: permission_error,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "ls -l",
        claim: "`ls -l` shows computation.ipynb, Dockerfile and outputs owned by root root",
        expected: true,
        check: |p| owned_by(p, "root", "root"),
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "whoami",
        claim: "`whoami` prints jovyan (the article shows the typo `joyvan`)",
        expected: true,
        check: |p| printed(p, "jovyan"),
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker rm",
        claim: "removing a container made without --rm leaves its anonymous volume behind",
        expected: true,
        check: left_dangling,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker volume rm",
        claim: "`docker volume rm` removes it",
        expected: true,
        check: volume_removed,
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "ls -l #2",
        claim: "with COPY --chown=$NB_UID:$NB_GID, `ls -l` shows the files owned by jovyan users",
        expected: true,
        check: |p| owned_by(p, "jovyan", "users"),
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "id",
        claim: "`id` prints uid=1000(jovyan) gid=100(users) groups=100(users)",
        expected: true,
        check: |p| printed(p, "uid=1000(jovyan) gid=100(users) groups=100(users)"),
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "cell:import pandas as pd #2",
        claim: "running the cell now writes outputs/Motorized-Foot-Scooter-Trips-2020.csv",
        expected: true,
        check: cell_wrote,
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "cell:import pandas as pd #2",
        claim: "the data written lands in the container's volume",
        expected: false,
        check: lands_in_volume,
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "docker start",
        claim: "after `docker stop` and `docker start` the CSV is still there",
        expected: true,
        check: csv_after_restart,
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "docker start",
        claim: "the anonymous volume survives `docker stop` and `docker start` of the same container",
        expected: true,
        check: volume_after_restart,
    },
    ClaimCheck {
        section: "Named volumes",
        after: "docker volume create",
        claim: "a named volume that does not exist yet is created the first time a container mounts it",
        expected: true,
        check: first_mount_creates,
    },
    ClaimCheck {
        section: "Named volumes",
        after: "docker run -d -v named-data-volume:/project/outputs -it",
        claim: "the notebook user can write to the named volume",
        expected: false,
        check: volume_writable,
    },
    ClaimCheck {
        section: "Named volumes",
        after: "docker run -d -v named-data-volume:/project/outputs --mount",
        claim: "the named volume outlives the container, and a new container mounting it sees the data",
        expected: false,
        check: new_container_sees_data,
    },
    ClaimCheck {
        section: "Bind mounts",
        after: "docker run -d -v named-data-volume:/project/outputs --mount",
        claim: "an edit to the notebook on the host shows in the container at once",
        expected: true,
        check: host_edits_show,
    },
    ClaimCheck {
        section: "Bind mounts",
        after: "docker run -d -v named-data-volume:/project/outputs --mount",
        claim: "without readonly, the container can write the bind-mounted notebook",
        expected: false,
        check: container_writes,
    },
    ClaimCheck {
        section: "Bind mounts",
        after: "docker run -d -v named-data-volume:/project/outputs --mount #2",
        claim: "with readonly, the container can no longer write the notebook",
        expected: true,
        check: readonly_refuses,
    },
    ClaimCheck {
        section: "Bind mounts",
        after: "docker run -d -v named-data-volume:/project/outputs --mount #2",
        claim: "with readonly, the host can still edit it, and the container sees the edit",
        expected: true,
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
                    c.claim, c.after
                )
            });
            assert!(k >= last, "{:?} is out of the article's order", c.claim);
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
