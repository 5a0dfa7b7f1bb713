//! Shell commands inside a block: where one ends, which ones a replay cannot run, which ones keep
//! running until stopped, and what a line of prose asks for (Ctrl+C, "type `exit` and press Enter").

use std::sync::OnceLock;

use regex::Regex;

use super::text::re;

mod sessions;
pub use sessions::{is_long_running, opens_shell};

/// The commands of a block, each with its line offset inside the block: `\` continuations and
/// heredocs stay one command; blank lines and `#` comments are not commands; a `$ ` prompt is dropped.
pub fn split(block: &str) -> Vec<(usize, String)> {
    static HEREDOC: OnceLock<Regex> = OnceLock::new();
    let lines: Vec<&str> = block.lines().collect();
    let mut commands = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let first = lines[i].trim_end();
        let stripped = first
            .trim_start()
            .strip_prefix("$ ")
            .unwrap_or(first.trim_start());
        if stripped.is_empty() || stripped.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut text = stripped.to_string();
        while text.ends_with('\\') && i + 1 < lines.len() {
            i += 1;
            text.push('\n');
            text.push_str(lines[i].trim_end());
        }
        if let Some(c) = re(&HEREDOC, r#"<<-?\s*['"]?([A-Za-z_]\w*)['"]?"#).captures(&text) {
            let end_word = c[1].to_string();
            while i + 1 < lines.len() {
                i += 1;
                text.push('\n');
                text.push_str(lines[i].trim_end());
                if lines[i].trim() == end_word {
                    break;
                }
            }
        }
        commands.push((start, text));
        i += 1;
    }
    commands
}

/// The longest argument Linux passes to a program (MAX_ARG_STRLEN): a command is one.
pub const MAX_COMMAND: usize = 128 * 1024;

/// Why a replay in a sandbox engine cannot run this command as written, if it cannot.
pub fn cannot_run(command: &str) -> Option<String> {
    if command.contains('\0') {
        return Some("holds a NUL byte, which no shell command can carry".into());
    }
    if command.len() >= MAX_COMMAND {
        return Some(format!(
            "is {} bytes long, more than the {MAX_COMMAND} a command line can pass to its shell",
            command.len()
        ));
    }
    let words: Vec<&str> = command.split_whitespace().collect();
    let first = words.first().copied().unwrap_or("");
    let after_sudo = if first == "sudo" {
        words.get(1).copied().unwrap_or("")
    } else {
        first
    };
    let docker_sub = |sub: &str| {
        after_sudo == "docker" && words.iter().skip_while(|w| **w != "docker").nth(1) == Some(&sub)
    };
    let why = if docker_sub("search") {
        "docker search asks Docker Hub's index; no local registry can answer it"
    } else if docker_sub("login") && !logs_in_to_hub(command) {
        "docker login to a registry other than Docker Hub signs in to the reader's own account there"
    } else if ["nano", "vi", "vim", "emacs", "pico"].contains(&after_sudo) {
        "opens an interactive editor: the file block that follows is written instead"
    } else if first == "sudo" && after_sudo != "docker" || command.contains("| sudo") {
        "needs root on the host (sudo): the replay does not change the host system"
    } else if [
        "apt",
        "apt-get",
        "yum",
        "dnf",
        "systemctl",
        "service",
        "su",
        "passwd",
        "ssh",
    ]
    .contains(&first)
    {
        "changes the host system or logs in elsewhere: not replayed"
    } else {
        return None;
    };
    Some(why.to_string())
}

/// Whether `command` logs in to Docker Hub: `docker login` with no server named.
pub fn logs_in_to_hub(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    let Some(at) = words.windows(2).position(|w| w == ["docker", "login"]) else {
        return false;
    };
    let mut rest = words[at + 2..].iter();
    while let Some(w) = rest.next() {
        if ["-u", "--username", "-p", "--password"].contains(w) {
            rest.next();
        } else if !w.starts_with('-') {
            return false;
        }
    }
    true
}

/// Does every line of an unmarked (indented) code block read as a shell command?
pub fn looks_like_shell(block: &str) -> bool {
    static SHELL: OnceLock<Regex> = OnceLock::new();
    let shell = re(
        &SHELL,
        r"^(sudo\s+)?([A-Za-z_][A-Za-z0-9_]*=\S*\s+)*[a-z./~][A-Za-z0-9._/~+-]*(\s|$)",
    );
    let not_shell = [
        "import", "from", "def", "class", "return", "for", "if", "while", "const", "let", "var",
        "function",
    ];
    let commands = split(block);
    !commands.is_empty()
        && commands.iter().all(|(_, c)| {
            let first = c.split_whitespace().next().unwrap_or("");
            shell.is_match(c) && !not_shell.contains(&first)
        })
}

/// What a line of prose asks to do, in the order written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProseAction {
    /// "press Ctrl+C" (also CTRL+C, <kbd>CTRL</kbd>+<kbd>C</kbd>, Control-C).
    Interrupt,
    /// "type `exit` and press Enter", "by entering `touch Dockerfile`": a command typed where the last one ran.
    Type(String),
}

pub fn prose_actions(line: &str) -> Vec<ProseAction> {
    static KEYS: OnceLock<Regex> = OnceLock::new();
    static ACTION: OnceLock<Regex> = OnceLock::new();
    let plain = re(&KEYS, r"</?kbd>|\*\*")
        .replace_all(line, "")
        .into_owned();
    // Matched on an ASCII-lowercased copy (same byte offsets), so the typed command keeps its case.
    let lower = plain.to_ascii_lowercase();
    let action = re(
        &ACTION,
        r"\bpress(?:ing)?\s+(?:ctrl|control)\s*[+-]\s*c\b|\b(?:type|typing|enter|entering)\s+`([^`]+)`",
    );
    action
        .captures_iter(&lower)
        .filter_map(|c| match c.get(1) {
            Some(typed) => {
                let typed = &plain[typed.range()];
                looks_like_shell(typed).then(|| ProseAction::Type(typed.to_string()))
            }
            None => Some(ProseAction::Interrupt),
        })
        .collect()
}

/// Why a numbered item with no command is not replayed; None for editor chores and definitions.
pub fn prose_reason(text: &str) -> Option<&'static str> {
    static CHORE: OnceLock<Regex> = OnceLock::new();
    static GUI: OnceLock<Regex> = OnceLock::new();
    let plain = text
        .replace("<kbd>", "")
        .replace("</kbd>", "")
        .to_ascii_lowercase();
    if text.starts_with("**") || re(&CHORE, r"ctrl\s*\+\s*x|^save the").is_match(&plain) {
        return None;
    }
    let gui = r"\b(browser|click|double-click|right-click|select|pane|button|menu|dashboard|console|workbench|docker desktop|cloud manager|marketplace|sign up|log in to|launcher|ui)\b";
    Some(if re(&GUI, gui).is_match(&plain) {
        "a step in a graphical interface (browser, desktop app or web console)"
    } else if plain.contains("](/docs/")
        || plain.contains("](#")
        || plain.contains("instructions in")
    {
        "refers to steps written elsewhere (another section or guide)"
    } else {
        "an instruction in prose, with no command to run"
    })
}

/// The first sentence of a prose step, links reduced to their text.
pub fn first_sentence(text: &str) -> String {
    static IMAGE: OnceLock<Regex> = OnceLock::new();
    static LINK: OnceLock<Regex> = OnceLock::new();
    let no_images =
        re(&IMAGE, r"\[?!\[[^\]]*\]\([^)]*\)(\]\([^)]*\))?").replace_all(text.trim(), "");
    let plain = re(&LINK, r"\[([^\]]*)\]\([^)]*\)").replace_all(&no_images, "$1");
    let cut = plain.find(". ").map_or(plain.len(), |p| p + 1);
    plain[..cut].chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_and_heredocs_are_one_command() {
        let block = "cd ~\n\n# make it\ndocker run -d \\\n  --name x \\\n  img\ncat <<EOF > f\na\nEOF\n$ ls";
        let want = [
            (0, "cd ~"),
            (3, "docker run -d \\\n  --name x \\\n  img"),
            (6, "cat <<EOF > f\na\nEOF"),
            (9, "ls"),
        ];
        assert_eq!(
            split(block),
            want.map(|(line, command)| (line, command.to_string()))
        );
    }

    #[test]
    fn unreplayable_commands_say_why() {
        assert!(cannot_run("docker search continuumio")
            .unwrap()
            .contains("Docker Hub"));
        // A prune runs: the replay's engine is the sandbox's, with nothing of the person's in it.
        assert_eq!(cannot_run("docker system prune -a"), None);
        assert!(cannot_run("nano Dockerfile").unwrap().contains("editor"));
        assert!(cannot_run("sudo apt install python3-pip")
            .unwrap()
            .contains("sudo"));
        assert!(cannot_run("curl -sL https://x | sudo -E bash -").is_some());
        assert_eq!(cannot_run("sudo docker compose up -d"), None);
        assert_eq!(cannot_run("docker run -d -p 8888:8888 img"), None);
        assert_eq!(cannot_run("docker volume ls"), None);
        assert!(cannot_run("echo a\0b").unwrap().contains("NUL byte"));
        assert!(cannot_run(&format!("echo {}", "x".repeat(MAX_COMMAND)))
            .unwrap()
            .contains("more than the 131072"));
    }

    #[test]
    fn prose_without_a_command() {
        assert!(prose_reason(
            "When done, press <kbd>CTRL</kbd>+<kbd>X</kbd>, followed by <kbd>Y</kbd>"
        )
        .is_none());
        assert!(prose_reason("**Kernel Protocol**: the foundational languages").is_none());
        assert!(
            prose_reason("Open MySQL Workbench and select the plus button")
                .unwrap()
                .contains("graphical")
        );
        assert!(
            prose_reason("Follow the instructions in our guide [PATH](/docs/guides/path/)")
                .unwrap()
                .contains("elsewhere")
        );
        assert!(prose_reason("Provide a root password.")
            .unwrap()
            .contains("prose"));
        assert_eq!(
            first_sentence("Double-click [the file](a.png). ![x](x.png) Then more."),
            "Double-click the file."
        );
    }

    #[test]
    fn shell_blocks_and_others() {
        for (block, shell) in [
            ("sudo apt update && sudo apt upgrade", true),
            ("cd\nmkdir app && cd app", true),
            ("PGUSER=x psql -d db", true),
            (
                "nodejs=# CREATE TABLE hello (message varchar);\nnodejs=# \\q",
                false,
            ),
            ("FROM ubuntu\nRUN apt-get update", false),
            ("version: '3'\nservices:", false),
            ("import pandas as pd", false),
        ] {
            assert_eq!(looks_like_shell(block), shell, "{block}");
        }
    }

    #[test]
    fn prose_asks_for_keys_and_typing() {
        let line = "Return to the terminal and press <kbd>CTRL</kbd>+<kbd>C</kbd> then <kbd>Y</kbd> and <kbd>Enter</kbd> to stop the server. Then type `exit` and press <kbd>Enter</kbd> to exit the container shell.";
        assert_eq!(
            prose_actions(line),
            vec![ProseAction::Interrupt, ProseAction::Type("exit".into())]
        );
        assert_eq!(
            prose_actions("press **Ctrl+C** then **Y**"),
            vec![ProseAction::Interrupt]
        );
        assert!(
            prose_actions("press <kbd>CTRL</kbd>+<kbd>X</kbd>, followed by <kbd>Y</kbd>")
                .is_empty()
        );
        assert!(prose_actions("Use Control-C to stop this server").is_empty());
        assert_eq!(
            prose_actions("Create the file by entering `touch Dockerfile`."),
            vec![ProseAction::Type("touch Dockerfile".into())]
        );
        assert!(prose_actions("Enter `CONTAINER ID` in the form").is_empty());
    }

    #[test]
    fn a_login_naming_no_server_is_docker_hubs() {
        assert!(logs_in_to_hub("docker login"));
        assert!(logs_in_to_hub("docker login -u me"));
        assert!(!logs_in_to_hub("docker login registry.example.com"));
        assert!(!logs_in_to_hub("docker logout"));
    }
}
