//! What a command does to the terminal it is typed in: keeps it (a foreground container, a
//! server, a follow) or opens a shell in a container, where what follows is typed until `exit`.

/// A command that opens an interactive shell in a container: what follows runs there until `exit`.
/// Either a shell named last (`docker exec -it web bash`), or `docker run -it IMAGE` with no
/// command, not detached, of an image whose own command is a shell (`ubuntu`, `debian`, ...).
pub fn opens_shell(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    let docker = words
        .windows(2)
        .any(|w| w[0] == "docker" && (w[1] == "exec" || w[1] == "run"));
    let interactive = words
        .iter()
        .any(|w| *w == "-it" || *w == "-ti" || *w == "--interactive");
    let shell = words
        .last()
        .is_some_and(|w| ["bash", "sh", "/bin/bash", "/bin/sh", "zsh"].contains(w));
    docker && interactive && (shell || runs_a_shell_image(&words))
}

/// Images whose default command is a shell (the official OS images).
const SHELL_IMAGES: &[&str] = &[
    "ubuntu",
    "debian",
    "alpine",
    "busybox",
    "centos",
    "fedora",
    "rockylinux",
    "almalinux",
    "amazonlinux",
    "archlinux",
    "opensuse/leap",
    "oraclelinux",
];

/// `docker run` flags that take the next word as their value.
const RUN_VALUE_FLAGS: &[&str] = &[
    "-p",
    "--publish",
    "-v",
    "--volume",
    "--name",
    "-e",
    "--env",
    "--env-file",
    "--mount",
    "-w",
    "--workdir",
    "--network",
    "--net",
    "-u",
    "--user",
    "-h",
    "--hostname",
    "-l",
    "--label",
    "--entrypoint",
    "--restart",
    "-m",
    "--memory",
    "--cpus",
    "--add-host",
    "--dns",
    "--platform",
    "--pull",
    "--volumes-from",
    "--link",
    "--expose",
    "--device",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "--ulimit",
    "--log-driver",
    "--log-opt",
    "--tmpfs",
    "--ip",
    "--gpus",
];

/// `docker run` with no command after its image (and no `-d`), of a shell image.
fn runs_a_shell_image(words: &[&str]) -> bool {
    let Some(at) = words.windows(2).position(|w| w == ["docker", "run"]) else {
        return false;
    };
    let mut rest = words[at + 2..].iter();
    while let Some(w) = rest.next() {
        if RUN_VALUE_FLAGS.contains(w) {
            rest.next();
        } else if *w == "-d" || *w == "--detach" || (w.starts_with("-d") && !w.starts_with("--")) {
            return false;
        } else if !w.starts_with('-') {
            let repository = w.rsplit_once(':').map_or(*w, |(r, _)| r);
            let name = repository.trim_start_matches("docker.io/library/");
            return rest.next().is_none() && SHELL_IMAGES.contains(&name);
        }
    }
    false
}

/// A command that keeps the terminal until it is stopped: a foreground container, a server, a follow.
pub fn is_long_running(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    let has = |w: &str| words.contains(&w);
    // -d, --detach or a cluster of short flags holding d (-dit).
    let detached = words.iter().any(|w| {
        *w == "--detach"
            || (w.len() > 1
                && w.starts_with('-')
                && w[1..].chars().all(|c| c.is_ascii_alphabetic())
                && w.contains('d'))
    });
    let docker_run = command.contains("docker run") || command.contains("docker container run");
    let compose_up = command.contains("compose up");
    let server = matches!(
        words.first(),
        Some(&"jupyter-lab") | Some(&"jupyter-notebook")
    ) || (words.first() == Some(&"jupyter")
        && matches!(words.get(1), Some(&"lab") | Some(&"notebook")));
    let follows = (command.contains("docker logs") || command.contains("compose logs"))
        && (has("-f") || has("--follow"));
    ((docker_run || compose_up) && !detached) || server || follows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_running_commands() {
        for (command, long) in [
            (
                "docker run -it --rm -p 8888:8888 custom-jupyter-image",
                true,
            ),
            ("jupyter-lab --ip=\"*\" --no-browser --allow-root", true),
            ("docker compose up", true),
            ("docker compose up -d", false),
            ("docker run -d -it -p 8888:8888 img", false),
            ("docker run -dit img", false),
            ("docker ps", false),
        ] {
            assert_eq!(is_long_running(command), long, "{command}");
        }
    }

    #[test]
    fn interactive_shells() {
        for (command, opens) in [
            ("docker exec -it pg_container bash", true),
            (
                "docker run -it --rm -p 8888:8888 continuumio/anaconda3 /bin/bash",
                true,
            ),
            ("docker exec -it node_container ping database", false),
            ("docker run -d img sh", false),
            // No command after a shell image: its own command, the shell.
            ("docker run -it --name=c1 -v data:/data ubuntu", true),
            ("docker run -it --rm debian:bookworm", true),
            ("docker run -it ubuntu ls /", false),
            ("docker run -dit ubuntu", false),
            (
                "docker run -it -p 8888:8888 jupyter/minimal-notebook",
                false,
            ),
        ] {
            assert_eq!(opens_shell(command), opens, "{command}");
        }
    }
}
