//! A section's session: the transcript of the steps it ran (each shown as it runs), the claims
//! with their evidence, and guards that remove what the section made unless `--keep`.

use std::io::Write;
use std::time::Instant;

use anyhow::Result;
use xshell::Shell;

pub use super::commands::Ran;
use super::names::pick_name;
pub use super::names::{is_anonymous_volume, Names};
use crate::engine::resources::Guard;
use crate::engine::Docker;

mod outcome;
mod resources;

use super::catalogue::{self, Catalogue, Observed};
pub use outcome::{verdict_line, Claim, Entry, Mode, Outcome, SectionOutcome};

pub struct Session {
    pub sh: Shell,
    /// The engine the section runs on, stamping the project's labels on what it makes.
    pub docker: Docker,
    pub mode: Mode,
    pub section: String,
    pub names: Names,
    /// The article's claims: what a claim says, and the verdict it must get.
    catalogue: &'static Catalogue,
    keep: bool,
    parallel: bool,
    guards: Vec<Guard>,
    entries: Vec<Entry>,
    notes: Vec<String>,
    claims: Vec<Claim>,
    picked: Vec<(String, String)>,
    /// Values redacted everywhere the section writes.
    secrets: Vec<String>,
    /// Transcript sink: stderr when sections run one after another, a buffer when in parallel.
    out: Box<dyn Write + Send>,
    /// The article's project folder (`~/jupyter` in the series), made fresh for each section.
    pub project: tempfile::TempDir,
}

impl Session {
    /// A session for one section; its transcript goes to `out` as it runs.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sh: &Shell,
        article: &str,
        section: &str,
        names: Names,
        mode: Mode,
        keep: bool,
        parallel: bool,
        out: Box<dyn Write + Send>,
    ) -> Result<Session> {
        Ok(Session {
            sh: sh.clone(),
            docker: Docker::new(sh),
            mode,
            section: section.to_string(),
            names,
            catalogue: catalogue::of(article),
            keep,
            parallel,
            guards: Vec::new(),
            entries: Vec::new(),
            notes: Vec::new(),
            claims: Vec::new(),
            picked: Vec::new(),
            secrets: Vec::new(),
            out,
            project: tempfile::Builder::new().prefix("jupyter-").tempdir()?,
        })
    }

    /// Ends the section started at `started` (removing what it made unless `--keep`) and hands
    /// over what it recorded.
    pub fn finish(mut self, error: Option<String>, started: Instant) -> SectionOutcome {
        self.release();
        SectionOutcome {
            name: self.section.clone(),
            entries: std::mem::take(&mut self.entries),
            notes: std::mem::take(&mut self.notes),
            claims: std::mem::take(&mut self.claims),
            error,
            seconds: started.elapsed().as_secs_f64(),
            names: self.names.clone(),
            picked: std::mem::take(&mut self.picked),
        }
    }

    /// Was `--keep` given?
    pub fn keep(&self) -> bool {
        self.keep
    }

    /// A value that must never reach the transcript, a report, the JSON or an error line (a
    /// password the walkthrough generated or read): it is shown as `<redacted>` from now on.
    pub fn secret(&mut self, value: &str) {
        if !value.is_empty() {
            self.secrets.push(value.to_string());
        }
    }

    /// `text` with every token and registered secret replaced by `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        crate::jupyter::token::redact(text, &self.secrets)
    }

    pub fn say(&mut self, text: &str) {
        let text = self.redact(text);
        let _ = writeln!(self.out, "{text}");
    }

    /// Records a step for the report, redacted (a server's token or a password never goes into a file).
    pub(super) fn entry(&mut self, command: &str, output: &str, exit: i32) {
        let entry = Entry {
            command: self.redact(command),
            output: self.redact(output),
            exit,
        };
        self.entries.push(entry);
    }

    /// A remark in the transcript and the report (e.g. where the walkthrough departs from the article).
    pub fn note(&mut self, text: &str) {
        self.say(&format!("   note: {text}"));
        self.notes.push(self.redact(text));
    }

    /// The claim `id` of the article's catalogue, as the engine showed it: `holds`, and why.
    pub fn claim(&mut self, id: &str, holds: bool, evidence: impl Into<String>) {
        let evidence = self.redact(&evidence.into());
        self.judged(id, catalogue::seen(holds, evidence));
    }

    /// A claim only the official image (or a registry) could show: reported, never faked.
    pub fn not_checkable(&mut self, id: &str, why: &str) {
        self.judged(id, Observed::NotCheckable(why.to_string()));
    }

    fn judged(&mut self, id: &str, observed: Observed) {
        let c = Claim::judge(self.catalogue, self.mode, &self.section, id, observed);
        self.say(&verdict_line(&c));
        self.claims.push(c);
    }

    /// A tutorial name for another resource, suffixed like the section's others (and recorded in the report).
    pub fn name(&mut self, kind: &str, base: &str) -> String {
        let name = pick_name(&self.docker, kind, base, &self.names.suffix);
        self.picked.push((base.to_string(), name.clone()));
        name
    }

    /// Records a name chosen by the article's own rule (e.g. a Compose project) for the report.
    pub fn record_name(&mut self, tutorial: &str, used: &str) {
        self.picked.push((tutorial.to_string(), used.to_string()));
    }

    /// An article step that is shown but never run, with the reason.
    pub fn skip(&mut self, command: &str, why: &str) {
        self.say(&format!("$ {command}    # SKIPPED: {why}"));
        self.entries.push(Entry {
            command: format!("{command}    # SKIPPED"),
            output: format!("not run: {why}\n"),
            exit: 0,
        });
        self.notes.push(format!("`{command}` is not run: {why}"));
    }

    /// Registers a guard: what it holds is removed at the end of the section unless `--keep`.
    pub fn guard(&mut self, guard: Guard) {
        self.guards.push(guard);
    }

    /// Progress for a long wait: a spinner when sections run one after another, timestamped lines
    /// when they run in parallel (several spinners would fight over one line).
    pub fn step(&self, what: impl Into<String>) -> crate::progress::Step {
        if self.parallel {
            crate::progress::Step::start_lines(what)
        } else {
            crate::progress::Step::start(what)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cmdline::shell_quote;
    use crate::walkthrough::names::slug;

    fn names() -> Names {
        Names {
            container: "c".into(),
            volume: "v".into(),
            network: "n".into(),
            db: "d".into(),
            suffix: String::new(),
        }
    }

    #[test]
    fn tokens_are_redacted() {
        let line =
            "http://127.0.0.1:8888/lab?token=0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            crate::jupyter::token::redact(line, &[]),
            "http://127.0.0.1:8888/lab?token=<redacted>"
        );
    }

    #[test]
    fn registered_secrets_and_tokens_are_redacted() {
        let sh = Shell::new().unwrap();
        let mut s = Session::new(
            &sh,
            "setup",
            "Anaconda base image",
            names(),
            Mode::Corrected,
            false,
            true,
            Box::new(std::io::sink()),
        )
        .unwrap();
        let token = "0123456789abcdef0123456789abcdef0123456789abcdef";
        let text = format!("MYSQL_PASSWORD=hunter2-x9 and http://127.0.0.1:8888/lab?token={token}");
        assert_eq!(
            s.redact(&text),
            text.replace(token, "<redacted>"),
            "no secret registered yet: only the token goes"
        );
        s.secret("hunter2-x9");
        s.secret("");
        let redacted = s.redact(&text);
        assert_eq!(
            redacted,
            "MYSQL_PASSWORD=<redacted> and http://127.0.0.1:8888/lab?token=<redacted>"
        );
        // And what the session records: notes and claims' evidence.
        s.note("the password is hunter2-x9");
        s.claim(
            "shell-as-root",
            true,
            format!("read hunter2-x9 with token={token}"),
        );
        s.record("docker exec db mysql -phunter2-x9", "hunter2-x9\n", 0);
        let outcome = s.finish(None, Instant::now());
        assert_eq!(outcome.notes, ["the password is <redacted>"]);
        assert_eq!(
            outcome.claims[0].evidence,
            "read <redacted> with token=<redacted>"
        );
        assert_eq!(
            (
                outcome.entries[0].command.as_str(),
                outcome.entries[0].output.as_str()
            ),
            ("docker exec db mysql -p<redacted>", "<redacted>\n")
        );
    }

    #[test]
    fn quoting_and_slugs() {
        assert_eq!(
            shell_quote("custom-jupyter-image:anon-volume"),
            "custom-jupyter-image:anon-volume"
        );
        assert_eq!(shell_quote("ls -l"), "'ls -l'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(slug("Fixing File Permissions"), "fixing-file-permissions");
    }

    #[test]
    fn verdicts_say_whether_they_were_expected() {
        let c = |claim: &str, holds, expected| Claim {
            id: "i".into(),
            section: "s".into(),
            claim: claim.into(),
            holds,
            expected,
            evidence: "e".into(),
            checkable: true,
        };
        assert!(verdict_line(&c("c", false, false)).contains("erratum"));
        assert!(verdict_line(&c("c", true, false)).contains("unexpected"));
        assert!(verdict_line(&c("c", false, true)).contains("FAILS (unexpected!)"));
        let section = |claims: Vec<Claim>, error: Option<&str>| SectionOutcome {
            name: "s".into(),
            entries: vec![],
            notes: vec![],
            claims,
            error: error.map(String::from),
            seconds: 0.0,
            names: names(),
            picked: vec![],
        };
        let outcome = |sections| Outcome {
            slug: "x",
            title: "t",
            mode: Mode::Literal,
            sections,
            seconds: 0.0,
        };

        let expected = outcome(vec![section(
            vec![c("erratum", false, false), c("holds", true, true)],
            None,
        )]);
        assert!(expected.ok());
        assert!(expected.unexpected().is_empty());

        // One claim that did not come out as expected: not ok, and it is the one listed.
        let surprising = outcome(vec![
            section(
                vec![c("erratum", false, false), c("holds", true, true)],
                None,
            ),
            section(
                vec![c("surprise", true, false), c("holds too", true, true)],
                None,
            ),
        ]);
        assert!(!surprising.ok());
        let listed: Vec<&str> = surprising
            .unexpected()
            .iter()
            .map(|c| c.claim.as_str())
            .collect();
        assert_eq!(listed, ["surprise"]);

        // A section that failed before its claims were checked: not ok, though no claim is unexpected.
        let failed = outcome(vec![
            section(vec![c("holds", true, true)], None),
            section(vec![], Some("volume v exists")),
        ]);
        assert!(failed.unexpected().is_empty());
        assert!(!failed.ok());
    }
}
