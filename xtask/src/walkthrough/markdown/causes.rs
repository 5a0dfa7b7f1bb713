//! Why a replayed step failed, from what the engine said and what the replay ran before it: the
//! guide's own mistake of a named kind, a stand-in the sandbox lacks, a knock-on of an earlier
//! failure, or not named. Read from the report's data alone (the command, its output, the steps
//! before it), so the Markdown, the JSON and the summary give the same cause.

use std::sync::OnceLock;

use regex::Regex;

use super::steps::{Step, StepKind};
use super::text::re;

/// What kind of cause: whose it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The guide's own mistake: it fails for any reader, in any engine.
    Guide,
    /// The sandbox has no stand-in for an image the guide pulls (a real engine would have it).
    StandIn,
    /// An earlier step failed, and this one needed what it would have made.
    KnockOn,
    /// Nothing above fits: the engine's last words are the cause.
    Unknown,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Guide => "the guide's mistake",
            Kind::StandIn => "a stand-in missing",
            Kind::KnockOn => "a knock-on",
            Kind::Unknown => "not named",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub kind: Kind,
    /// One line, naming what the engine showed.
    pub why: String,
    /// What `--fix` can mend, when the cause says exactly what was written wrong.
    pub mend: Option<Mend>,
}

/// A cause precise enough for `--fix` to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mend {
    /// An option typed with a look-alike dash.
    Dash(LookAlike),
    /// An ID from the author's machine, of a kind of object the engine named (`container`,
    /// `image`, `volume`, `network`, or `object` when `docker inspect` did not say).
    AuthorsId { id: String, of: String },
    /// A container name the guide's own earlier step (at `line`) took and still holds.
    NameTaken { name: String, line: usize },
    /// A path that does not exist, as the command named it.
    NoSuchPath { path: String },
    /// A push of `image` with no account namespace (Docker Hub takes it as `library/...`).
    NoNamespace { image: String },
}

/// An option typed with a look-alike dash: the dashes as written (`–`, `–-`) and the option's
/// word (`name`); `meant` is the dash it should have (`--`, or `-` for a one-letter option).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookAlike {
    pub dash: String,
    pub word: String,
}

impl LookAlike {
    pub fn meant(&self) -> &'static str {
        if self.word.chars().count() == 1 {
            "-"
        } else {
            "--"
        }
    }
}

fn cause(kind: Kind, why: String) -> Option<Cause> {
    Some(Cause {
        kind,
        why,
        mend: None,
    })
}

/// The look-alike dash pattern: a run of dashes with at least one that is not `-` (U+2010 to
/// U+2015, U+2212), at a word's start, before an option's word.
pub const LOOK_ALIKE_DASH: &str =
    r"(?:^|\s)(-?[\x{2010}-\x{2015}\x{2212}][\x{2010}-\x{2015}\x{2212}-]*)([A-Za-z][\w-]*)";

/// What a cause is read from, of one step that ran: the step's index, its exit and output.
#[derive(Clone, Copy, Debug)]
pub struct Ran<'a> {
    pub step: usize,
    pub exit: Option<i32>,
    pub output: &'a str,
}

/// The cause of the failure of `results[at]` (None when it did not fail).
pub fn of(steps: &[Step], results: &[Ran], at: usize) -> Option<Cause> {
    let r = &results[at];
    if r.exit.is_none_or(|c| c == 0) {
        return None;
    }
    let text = command(&steps[r.step]).unwrap_or("");
    let before = &results[..at];
    look_alike_dash(text)
        .or_else(|| name_taken(steps, before, r.output))
        .or_else(|| knock_on(steps, before, r.output))
        .or_else(|| authors_id(before, r.output))
        .or_else(|| no_such_path(r.output))
        .or_else(|| no_namespace(text, r.output))
        .or_else(|| missing_stand_in(r.output).then(|| stand_in(text, r.output)))
        .or_else(|| {
            let last = crate::engine::last_message(r.output);
            cause(Kind::Unknown, format!("the engine said: {last}"))
        })
}

/// Whether a failed command's output shows a pull that no registry answered: the sandbox's
/// serves only its stand-ins, and the engine then tries Docker Hub, which cannot be reached.
pub fn missing_stand_in(output: &str) -> bool {
    (output.contains("registry-1.docker.io")
        && (output.contains("no such host") || output.contains("dial tcp")))
        || output.contains("pull access denied")
        || output.contains("manifest unknown")
}

/// The image no registry served: as the engine named it, or as `docker pull` was given it.
fn stand_in(text: &str, output: &str) -> Cause {
    let pulled = || {
        let words: Vec<&str> = text.split_whitespace().collect();
        let at = words.windows(2).position(|w| w == ["docker", "pull"])?;
        words[at + 2..]
            .iter()
            .find(|w| !w.starts_with('-'))
            .map(|w| w.to_string())
    };
    let image = missing_name(output)
        .or_else(pulled)
        .map_or(String::new(), |i| format!(" for {i}"));
    Cause {
        kind: Kind::StandIn,
        why: format!("the sandbox's registry has no stand-in{image}, and no registry on the internet can be reached from here"),
        mend: None,
    }
}

fn command(step: &Step) -> Option<&str> {
    match &step.kind {
        StepKind::Command { text, .. } => Some(text),
        _ => None,
    }
}

/// `–name` typed with an en dash (or another dash that is not `-`): the shell passes it on as a
/// word, and Docker takes it for an image name or an argument.
fn look_alike_dash(text: &str) -> Option<Cause> {
    static DASH: OnceLock<Regex> = OnceLock::new();
    let c = re(&DASH, LOOK_ALIKE_DASH).captures(text)?;
    let found = LookAlike {
        dash: c[1].to_string(),
        word: c[2].to_string(),
    };
    let (dash, word, meant) = (&found.dash, &found.word, found.meant());
    let code = dash.chars().find(|c| *c != '-').map_or(0, u32::from);
    Some(Cause {
        kind: Kind::Guide,
        why: format!("a look-alike dash: `{dash}{word}` is written with U+{code:04X}, not `-`; the option is `{meant}{word}`"),
        mend: Some(Mend::Dash(found)),
    })
}

/// A container name the guide's own earlier step took.
fn name_taken(steps: &[Step], before: &[Ran], output: &str) -> Option<Cause> {
    static TAKEN: OnceLock<Regex> = OnceLock::new();
    let name = re(&TAKEN, r#"container name "/([^"]+)" is already in use"#).captures(output)?[1]
        .to_string();
    let line = before
        .iter()
        .filter(|r| r.exit == Some(0))
        .find(|r| command(&steps[r.step]).is_some_and(|t| makes(t).contains(&name)))
        .map(|r| steps[r.step].line)?;
    Some(Cause {
        kind: Kind::Guide,
        why: format!("a name taken by the guide's own step at line {line} (its `--name {name}`), and the engine refused the name again"),
        mend: Some(Mend::NameTaken { name, line }),
    })
}

/// A name this step needed that an earlier step failed to make.
fn knock_on(steps: &[Step], before: &[Ran], output: &str) -> Option<Cause> {
    let name = missing_name(output)?;
    let bare = |n: &str| n.trim_end_matches(":latest").to_string();
    let failed = before.iter().rev().find(|r| {
        r.exit.is_some_and(|c| c != 0)
            && command(&steps[r.step])
                .is_some_and(|t| makes(t).iter().any(|m| bare(m) == bare(&name)))
    })?;
    cause(
        Kind::KnockOn,
        format!(
            "a knock-on of line {}: that step failed, and it would have made {name}",
            steps[failed.step].line
        ),
    )
}

/// An ID the engine does not know and that no output of this replay showed: the author's.
fn authors_id(before: &[Ran], output: &str) -> Option<Cause> {
    let name = missing_name(output)?;
    let hex = (4..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_hexdigit());
    if !hex || before.iter().any(|r| r.output.contains(name.as_str())) {
        return None;
    }
    static KIND: OnceLock<Regex> = OnceLock::new();
    let of = re(&KIND, r"No such (container|object|image|volume|network): ")
        .captures(output)
        .map_or("image".to_string(), |c| c[1].to_string());
    Some(Cause {
        kind: Kind::Guide,
        why: format!("an ID from the author's machine: {name} names nothing this replay made (no output before showed it); the step should name the {of}"),
        mend: Some(Mend::AuthorsId { id: name, of }),
    })
}

/// The name in an engine's "no such ..." answer (or the image it could not find).
fn missing_name(output: &str) -> Option<String> {
    static MISSING: OnceLock<Regex> = OnceLock::new();
    let c = re(
        &MISSING,
        r"(?:No such (?:container|object|image|volume|network): ([^\s,]+)|Unable to find image '([^']+)'|pull access denied for ([^\s,]+)|repository ([^\s,]+) not found)",
    )
    .captures(output)?;
    c.iter()
        .skip(1)
        .flatten()
        .next()
        .map(|m| m.as_str().to_string())
}

fn no_such_path(output: &str) -> Option<Cause> {
    static PATH: OnceLock<Regex> = OnceLock::new();
    let c = re(
        &PATH,
        r"(?m)(?:can't cd to ([^\s:]+)|cd: ([^:\n]+): No such file or directory|cannot create ([^:\n]+): Directory nonexistent|^(?:cat|ls|head|tail|cp|mv|rm|stat): (?:cannot (?:access|stat) )?'?([^:'\n]+)'?: No such file or directory)",
    )
    .captures(output)?;
    let path = c.iter().skip(1).flatten().next()?.as_str().trim();
    Some(Cause {
        kind: Kind::Guide,
        why: format!("a path that does not exist: {path} (the command said so)"),
        mend: Some(Mend::NoSuchPath { path: path.into() }),
    })
}

/// `docker push NAME` with no `ACCOUNT/` before the name: Docker Hub refuses it.
fn no_namespace(text: &str, output: &str) -> Option<Cause> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let at = words.windows(2).position(|w| w == ["docker", "push"])?;
    let image = words[at + 2..].iter().find(|w| !w.starts_with('-'))?;
    let denied = output.contains("denied") || output.contains("unauthorized");
    if image.contains('/') || !denied {
        return None;
    }
    Some(Cause {
        mend: Some(Mend::NoNamespace {
            image: image.to_string(),
        }),
        ..cause(
            Kind::Guide,
            format!("a push with no account namespace: {image} is pushed as library/{image}, which no account may write; tag it ACCOUNT/{image} first"),
        )?
    })
}

/// The names a command makes: `--name N`, `-t`/`--tag N`, `docker tag A N`, `docker commit C N`,
/// `docker volume|network create N`.
fn makes(text: &str) -> Vec<String> {
    made(text).into_iter().map(|(_, name)| name).collect()
}

/// [`makes`], each name with the kind of object it names: `container`, `image`, `volume` or
/// `network`.
pub fn made(text: &str) -> Vec<(&'static str, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(|n| n.to_string());
        match *w {
            "--name" => out.extend(next.map(|n| ("container", n))),
            "-t" | "--tag" => out.extend(next.map(|n| ("image", n))),
            _ => {
                for (flag, of) in [
                    ("--name=", "container"),
                    ("--tag=", "image"),
                    ("-t=", "image"),
                ] {
                    if let Some(v) = w.strip_prefix(flag) {
                        out.push((of, v.to_string()));
                    }
                }
            }
        }
    }
    let verbs: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .collect();
    match verbs.get(..3) {
        Some(["docker", "tag" | "commit", _]) | Some(["docker", "image", "tag"]) => {
            out.extend(verbs.last().map(|n| ("image", n.to_string())))
        }
        Some(["docker", of @ ("volume" | "network"), "create"]) => {
            let of = if *of == "volume" { "volume" } else { "network" };
            out.extend(verbs.get(3).map(|n| (of, n.to_string())))
        }
        _ => {}
    }
    out
}

#[cfg(test)]
#[path = "causes_tests.rs"]
mod tests;
