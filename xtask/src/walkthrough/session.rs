//! The machinery every article shares: running docker commands with a transcript, recording
//! claims with their evidence, tutorial names (suffixed when a person's own resources hold them),
//! and guards that remove everything made unless `--keep`.

use std::io::{BufRead, BufReader, Write};
use std::time::Instant;

use anyhow::{bail, Result};
use xshell::Shell;

use super::{Article, Section};
use crate::engine::resources::{Guard, Resource};
use crate::engine::{self, Docker, RunSpec};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The article's commands as written.
    Literal,
    /// The recipe that delivers what the article claims.
    Corrected,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Literal => "literal",
            Mode::Corrected => "corrected",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Claim {
    pub section: String,
    /// What the article says.
    pub claim: String,
    /// What was observed: does it hold?
    pub holds: bool,
    /// What the project knows to be true in this mode (the claim, or its erratum).
    pub expected: bool,
    pub evidence: String,
    /// False when only the official image (or a registry) could show it: then holds and expected
    /// are both false and the evidence says why; it is never faked.
    pub checkable: bool,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub command: String,
    pub output: String,
    pub exit: i32,
}

#[derive(Debug)]
pub struct SectionOutcome {
    pub name: String,
    pub entries: Vec<Entry>,
    pub notes: Vec<String>,
    pub claims: Vec<Claim>,
    pub error: Option<String>,
    pub seconds: f64,
    pub names: Names,
    /// Other tutorial names the section used, as (tutorial's name, name used).
    pub picked: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Outcome {
    pub slug: &'static str,
    pub title: &'static str,
    pub mode: Mode,
    pub sections: Vec<SectionOutcome>,
    pub seconds: f64,
}

impl Outcome {
    pub fn claims(&self) -> impl Iterator<Item = &Claim> {
        self.sections.iter().flat_map(|s| s.claims.iter())
    }
    pub fn unexpected(&self) -> Vec<&Claim> {
        self.claims().filter(|c| c.holds != c.expected).collect()
    }
    pub fn ok(&self) -> bool {
        self.unexpected().is_empty() && self.sections.iter().all(|s| s.error.is_none())
    }
}

/// The names a section works with: the tutorial's, unless taken.
#[derive(Debug, Clone)]
pub struct Names {
    pub container: String,
    pub volume: String,
    pub network: String,
    /// The database container (`mysql-db` in articles 3 and 4).
    pub db: String,
    /// What is appended to the tutorial's names (empty when they are used as written).
    pub suffix: String,
}

pub struct Session {
    pub sh: Shell,
    /// The engine the section runs on, stamping the project's labels on what it makes.
    pub docker: Docker,
    pub mode: Mode,
    pub section: String,
    pub names: Names,
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

pub fn run_article(sh: &Shell, article: &Article, sections: &[&Section], mode: Mode, keep: bool, parallel: bool, _json: bool) -> Result<Outcome> {
    let started = Instant::now();
    eprintln!("# {} ({} mode)", article.title, mode.name());
    let outcomes: Vec<SectionOutcome> = if parallel && sections.len() > 1 {
        std::thread::scope(|scope| {
            let handles: Vec<_> = sections
                .iter()
                .map(|section| {
                    let sh = sh.clone();
                    let names = pick_names(&sh, Some(section.name));
                    scope.spawn(move || run_section(&sh, section, names, mode, keep, true))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("section thread panicked")).collect::<Result<Vec<_>>>()
        })?
    } else {
        // One after another, the sections share the tutorial's names, as the article does.
        let names = pick_names(sh, None);
        sections.iter().map(|s| run_section(sh, s, names.clone(), mode, keep, false)).collect::<Result<Vec<_>>>()?
    };
    Ok(Outcome { slug: article.slug, title: article.title, mode, sections: outcomes, seconds: started.elapsed().as_secs_f64() })
}

fn run_section(sh: &Shell, section: &Section, names: Names, mode: Mode, keep: bool, parallel: bool) -> Result<SectionOutcome> {
    let started = Instant::now();
    // In parallel the transcript is printed whole at the end, so sections do not interleave.
    let out: Box<dyn Write + Send> = if parallel { Box::new(std::io::sink()) } else { Box::new(std::io::stderr()) };
    let mut session = Session {
        sh: sh.clone(),
        docker: Docker::new(sh),
        mode,
        section: section.name.to_string(),
        names: names.clone(),
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
    };
    session.say(&format!("\n## {}", section.name));
    if names.container != "custom-jupyter-container" || names.volume != "named-data-volume" {
        session.note(&format!("using the names {} and {} (the tutorial's are taken or sections run in parallel)", names.container, names.volume));
    }
    let result = (section.run)(&mut session);
    let error = result.err().map(|e| session.redact(&format!("{e:#}")));
    if let Some(e) = &error {
        session.say(&format!("!! section failed: {e}"));
    }
    session.finish();
    let outcome = SectionOutcome {
        name: section.name.to_string(),
        entries: std::mem::take(&mut session.entries),
        notes: std::mem::take(&mut session.notes),
        claims: std::mem::take(&mut session.claims),
        error,
        seconds: started.elapsed().as_secs_f64(),
        names,
        picked: std::mem::take(&mut session.picked),
    };
    if parallel {
        let mut text = format!("\n## {}\n", outcome.name);
        for e in &outcome.entries {
            text.push_str(&format!("$ {}\n{}", e.command, e.output));
        }
        for c in &outcome.claims {
            text.push_str(&format!("{}\n", verdict_line(c)));
        }
        eprint!("{text}");
    }
    Ok(outcome)
}

fn slug(text: &str) -> String {
    text.to_lowercase().split(|c: char| !c.is_ascii_alphanumeric()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-")
}

/// The tutorial's names, suffixed under a test run, per section in parallel, and when taken.
fn pick_names(sh: &Shell, parallel_section: Option<&str>) -> Names {
    let run = std::env::var(engine::RUN_ID_ENV).ok().filter(|r| !r.is_empty());
    let mut suffix = String::new();
    if let Some(run) = &run {
        // Under a test run: unique per process, so concurrent walkthroughs never collide.
        suffix.push_str(&format!("-{run}-p{}", std::process::id()));
    }
    if let Some(section) = parallel_section {
        suffix.push('-');
        suffix.push_str(&slug(section));
    }
    let pick = |kind: &str, base: &str| pick_name(sh, kind, base, &suffix);
    Names {
        container: pick("container", "custom-jupyter-container"),
        volume: pick("volume", "named-data-volume"),
        network: pick("network", "jupyter-mysql-net"),
        db: pick("container", "mysql-db"),
        suffix,
    }
}

/// `base` plus the run's suffix, and `-wt<pid>` when a resource of that name exists already.
fn pick_name(sh: &Shell, kind: &str, base: &str, suffix: &str) -> String {
    let name = format!("{base}{suffix}");
    let taken = match kind {
        "image" => engine::image_exists(sh, &name),
        _ => engine::probe(sh, [kind, "inspect", name.as_str()]).is_some(),
    };
    if taken {
        let sep = if kind == "image" && !name.contains(':') { ":" } else { "-" };
        format!("{name}{sep}wt{}", std::process::id())
    } else {
        name
    }
}

pub fn verdict_line(c: &Claim) -> String {
    if !c.checkable {
        return format!("[NOT CHECKABLE HERE] {}\n        {}", c.claim, c.evidence);
    }
    let mark = match (c.holds, c.holds == c.expected) {
        (true, true) => "HOLDS",
        (false, true) => "FAILS (as expected: article erratum)",
        (true, false) => "HOLDS (unexpected!)",
        (false, false) => "FAILS (unexpected!)",
    };
    format!("[{mark}] {}\n        observed: {}", c.claim, c.evidence)
}

/// What one docker command did.
pub struct Ran {
    pub exit: i32,
    pub output: String,
}

impl Ran {
    pub fn ok(&self) -> bool {
        self.exit == 0
    }
}

impl Session {
    /// A value that must never reach the transcript, a report, the JSON or an error line (a
    /// password the walkthrough generated or read): it is shown as `<redacted>` from now on.
    pub fn secret(&mut self, value: &str) {
        if !value.is_empty() {
            self.secrets.push(value.to_string());
        }
    }

    /// `text` with every token and registered secret replaced by `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(redact_tokens(text), |t, s| t.replace(s.as_str(), "<redacted>"))
    }

    pub fn say(&mut self, text: &str) {
        let text = self.redact(text);
        let _ = writeln!(self.out, "{text}");
    }

    /// A remark in the transcript and the report (e.g. where the walkthrough departs from the article).
    pub fn note(&mut self, text: &str) {
        self.say(&format!("   note: {text}"));
        self.notes.push(self.redact(text));
    }

    /// Runs one command line as an article writes it (`docker volume ls --filter dangling=false`,
    /// `docker-compose up -d`), printing it and its output as they come. The line is split like a
    /// shell would (quotes, no expansion): article steps stay text, never hand-built vectors.
    pub fn cmd(&mut self, line: &str) -> Result<Ran> {
        let words = crate::engine::spec::split(line)?;
        let Some((program, args)) = words.split_first() else { bail!("an empty command line") };
        if program == "docker" {
            let argv: Vec<String> = self.docker.argv(args).into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
            return self.command("docker", &argv);
        }
        self.command(program, args)
    }

    /// Like [`Session::cmd`], but a failure ends the section.
    pub fn cmd_ok(&mut self, line: &str) -> Result<String> {
        let ran = self.cmd(line)?;
        if !ran.ok() {
            bail!("`{line}` failed (exit {}): {}", ran.exit, crate::engine::last_message(&ran.output));
        }
        Ok(ran.output.trim().to_string())
    }

    /// `docker run SPEC`, shown and recorded like any step; the container, when named, is
    /// removed at the end of the section unless `--keep` (and only if this run created it).
    pub fn run(&mut self, spec: &RunSpec) -> Result<Ran> {
        let args = spec.args(&self.docker.resource_labels())?;
        if let Some(name) = &spec.name {
            if !spec.remove {
                let guard = Guard::before_create(&self.docker, Resource::Container(name.clone()));
                self.guards.push(guard);
            }
        }
        let argv: Vec<String> = self.docker.argv(&args).into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let ran = self.command("docker", &argv);
        if let Some(last) = self.guards.last_mut() {
            last.created();
        }
        ran
    }

    /// Like [`Session::run`], but a failure ends the section.
    pub fn run_ok(&mut self, spec: &RunSpec) -> Result<String> {
        let ran = self.run(spec)?;
        if !ran.ok() {
            bail!("`docker run ... {}` failed (exit {}): {}", spec.image, ran.exit, crate::engine::last_message(&ran.output));
        }
        Ok(ran.output.trim().to_string())
    }

    /// Runs `docker ARGS`, printing the command and its output (both streams) as they come.
    pub fn docker(&mut self, args: &[String]) -> Result<Ran> {
        self.command("docker", args)
    }

    /// Runs `PROGRAM ARGS` (e.g. docker-compose) with the transcript, as [`Session::docker`] does.
    pub fn command(&mut self, program: &str, args: &[String]) -> Result<Ran> {
        let shown = format!("{program} {}", args.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "));
        self.say(&format!("$ {shown}"));
        let reader = duct::cmd(program, args).stderr_to_stdout().unchecked().reader()?;
        let mut output = String::new();
        for line in BufReader::new(&reader).lines() {
            let line = line.unwrap_or_default();
            let _ = writeln!(self.out, "{}", self.redact(&line));
            // Recorded without colour codes, so claims and reports match plain text.
            output.push_str(&crate::jupyter::url::strip_ansi(&line));
            output.push('\n');
        }
        let exit = match reader.try_wait()? {
            Some(out) => out.status.code().unwrap_or(-1),
            None => -1,
        };
        // Reports are files: a server's token never goes into one.
        let entry = Entry { command: self.redact(&shown), output: self.redact(&output), exit };
        self.entries.push(entry);
        Ok(Ran { exit, output })
    }

    /// Like [`Session::docker`] but a failure ends the section.
    pub fn docker_ok(&mut self, args: &[String]) -> Result<String> {
        let ran = self.docker(args)?;
        if !ran.ok() {
            bail!("`docker {}` failed (exit {}): {}", args.join(" "), ran.exit, crate::engine::last_message(&ran.output));
        }
        Ok(ran.output.trim().to_string())
    }

    /// A docker call for the walkthrough's own checks: not shown as an article step.
    pub fn inspect(&self, args: &[&str]) -> Option<String> {
        engine::probe(&self.sh, args)
    }

    pub fn claim(&mut self, claim: &str, holds: bool, expected: bool, evidence: impl Into<String>) {
        let evidence = self.redact(&evidence.into());
        let c = Claim { section: self.section.clone(), claim: claim.to_string(), holds, expected, evidence, checkable: true };
        self.say(&verdict_line(&c));
        self.claims.push(c);
    }

    /// A claim only the official image (or a registry) could show: reported, never faked.
    pub fn not_checkable(&mut self, claim: &str, why: &str) {
        let c = Claim { section: self.section.clone(), claim: claim.to_string(), holds: false, expected: false, evidence: format!("not checkable here: {why}"), checkable: false };
        self.say(&verdict_line(&c));
        self.claims.push(c);
    }

    /// A tutorial name for another resource, suffixed like the section's others (and recorded in the report).
    pub fn name(&mut self, kind: &str, base: &str) -> String {
        let name = pick_name(&self.sh, kind, base, &self.names.suffix);
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
        self.entries.push(Entry { command: format!("{command}    # SKIPPED"), output: format!("not run: {why}\n"), exit: 0 });
        self.notes.push(format!("`{command}` is not run: {why}"));
    }

    /// A command that ran in the background (an attached `up` in the article's other terminal),
    /// recorded as a step once it ended, its output redacted like any other.
    pub fn record(&mut self, shown: &str, output: &str, exit: i32) {
        self.say(&format!("$ {shown}\n{}", output.trim_end()));
        self.entries.push(Entry { command: self.redact(shown), output: self.redact(output), exit });
    }

    /// Registers a container made by this section (removed at the end unless `--keep`).
    pub fn made_container(&mut self, name: &str) {
        self.guards.push(Guard::new(&crate::engine::Docker::new(&self.sh), Resource::Container(name.to_string())));
    }

    pub fn made_volume(&mut self, name: &str) {
        self.guards.push(Guard::new(&crate::engine::Docker::new(&self.sh), Resource::Volume(name.to_string())));
    }

    pub fn made_network(&mut self, name: &str) {
        self.guards.push(Guard::new(&crate::engine::Docker::new(&self.sh), Resource::Network(name.to_string())));
    }

    /// An image tag this section built (removed at the end unless `--keep`; shared layers stay).
    pub fn made_image(&mut self, tag: &str) {
        self.guards.push(Guard::new(&crate::engine::Docker::new(&self.sh), Resource::Image(tag.to_string())));
    }

    /// The container is gone (the article removed it): no need to remove it again.
    pub fn forget(&mut self, resource: &Resource) {
        if let Some(i) = self.guards.iter().position(|g| g.resource() == resource) {
            self.guards.remove(i).keep();
        }
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

    /// `--label` arguments for what the section creates.
    pub fn labels(&self) -> Vec<String> {
        engine::resource_labels()
    }

    fn finish(&mut self) {
        if self.keep {
            // Keep everything; free the tutorial's container name for the next section.
            let guards = std::mem::take(&mut self.guards);
            for guard in guards {
                // A dangling anonymous volume has no label and nothing to inspect: never keep it.
                if matches!(guard.resource(), Resource::Volume(n) if n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit())) {
                    drop(guard);
                    continue;
                }
                if let Resource::Container(name) = guard.resource().clone() {
                    if !self.parallel && engine::probe(&self.sh, ["container", "inspect", name.as_str()]).is_some() {
                        let kept = format!("{name}-{}", slug(&self.section));
                        let _ = engine::probe(&self.sh, ["rename", name.as_str(), kept.as_str()]);
                        self.note(&format!("kept container {kept}"));
                    }
                }
                guard.keep();
            }
        } else {
            // Newest first: containers go before the volumes and networks they use.
            while let Some(guard) = self.guards.pop() {
                drop(guard);
            }
        }
    }
}

/// `token=<48 hex>` -> `token=<redacted>`.
pub fn redact_tokens(text: &str) -> String {
    static TOKEN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| regex::Regex::new(r"token=[0-9a-f]{48}").unwrap()).replace_all(text, "token=<redacted>").into_owned()
}

fn shell_quote(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c)) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_redacted() {
        let line = "http://127.0.0.1:8888/lab?token=0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(redact_tokens(line), "http://127.0.0.1:8888/lab?token=<redacted>");
    }

    #[test]
    fn quoting_and_slugs() {
        assert_eq!(shell_quote("custom-jupyter-image:anon-volume"), "custom-jupyter-image:anon-volume");
        assert_eq!(shell_quote("ls -l"), "'ls -l'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(slug("Fixing File Permissions"), "fixing-file-permissions");
    }

    #[test]
    fn verdicts_say_whether_they_were_expected() {
        let c = |holds, expected| Claim { section: "s".into(), claim: "c".into(), holds, expected, evidence: "e".into(), checkable: true };
        assert!(verdict_line(&c(false, false)).contains("erratum"));
        assert!(verdict_line(&c(true, false)).contains("unexpected"));
        let outcome = Outcome {
            slug: "x",
            title: "t",
            mode: Mode::Literal,
            sections: vec![SectionOutcome {
                name: "s".into(),
                entries: vec![],
                notes: vec![],
                claims: vec![c(false, false), c(true, true)],
                error: None,
                seconds: 0.0,
                names: Names { container: "c".into(), volume: "v".into(), network: "n".into(), db: "d".into(), suffix: String::new() },
                picked: vec![],
            }],
            seconds: 0.0,
        };
        assert!(outcome.ok());
    }
}
