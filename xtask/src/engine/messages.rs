//! What a failed docker command said, cut to what a person needs to read.

/// The most useful line of docker's stderr: the daemon's own reason (`Error response from daemon:
/// ...`), else its last `Error...` line, else its last line; never the CLI's "see --help" hints,
/// nor `docker start`'s closing "Error: failed to start containers", which hide the reason.
pub fn last_message(stderr: &str) -> String {
    let hint = |l: &str| l.contains("--help") || l.starts_with("Error: failed to start containers");
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let useful: Vec<&str> = lines.iter().copied().filter(|l| !hint(l)).collect();
    useful
        .iter()
        .rev()
        .find(|l| l.contains("Error response from daemon"))
        .or_else(|| {
            useful
                .iter()
                .rev()
                .find(|l| l.to_ascii_lowercase().contains("error"))
        })
        .or(useful.last())
        .or(lines.last())
        .map(|l| l.to_string())
        .unwrap_or_else(|| "no message".to_string())
}

/// `text` with its control characters escaped (a newline as `\n`, ESC as `\u{1b}`): a name a
/// person gave (a file named with a newline) cannot split an error line, nor restyle a terminal.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The last `lines` lines of a command's output, for an error message.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_error_line() {
        let stderr = "Sending build context\nError response from daemon: No such image: x\n";
        assert_eq!(
            last_message(stderr),
            "Error response from daemon: No such image: x"
        );
        assert_eq!(last_message(""), "no message");
        // `docker start` and `docker run` end with lines that hide the daemon's reason.
        let reason = "Error response from daemon: invalid mount config for type \"bind\": bind source path does not exist: /tmp/nb";
        assert_eq!(
            last_message(&format!("{reason}\nError: failed to start containers: c\n")),
            reason
        );
        assert_eq!(
            last_message(&format!("docker: {reason}.\nSee 'docker run --help'.\n")),
            format!("docker: {reason}.")
        );
        assert_eq!(
            last_message(&format!(
                "docker: {reason}\n\nRun 'docker run --help' for more information\n"
            )),
            format!("docker: {reason}")
        );
    }

    #[test]
    fn control_characters_cannot_split_a_line() {
        assert_eq!(one_line("new\nline.ipynb"), "new\\nline.ipynb");
        assert_eq!(
            one_line("tab\there \u{1b}[31mred\r"),
            "tab\\there \\u{1b}[31mred\\r"
        );
        assert_eq!(
            one_line("ünïcode \"quoted\" back\\slash"),
            "ünïcode \"quoted\" back\\slash"
        );
    }
}
