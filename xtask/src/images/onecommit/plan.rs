//! What a series Dockerfile does, read into the few operations of a one-commit build: the RUN
//! steps (each with its folder and the ENV set before it), the COPY of the context, and the
//! config changes (`ENV`, `EXPOSE`, `VOLUME`, `LABEL`, `WORKDIR`). Only the instructions the
//! series uses are read; any other one is an error naming it, never silently skipped.

use anyhow::{bail, Context, Result};

use super::words::{instructions, word, words};

/// The base image's config, as `docker image inspect --format '{{json .Config}}'` prints it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BaseConfig {
    pub env: Vec<(String, String)>,
    pub user: String,
    pub workdir: String,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    /// What RUN's shell form runs in: the image's SHELL, else `/bin/sh -c`.
    pub shell: Vec<String>,
}

impl BaseConfig {
    pub fn from_json(json: &str) -> Result<BaseConfig> {
        let v: serde_json::Value =
            serde_json::from_str(json).context("reading the base image's config")?;
        let list = |key: &str| -> Option<Vec<String>> {
            v[key].as_array().map(|a| {
                a.iter()
                    .map(|s| s.as_str().unwrap_or_default().to_string())
                    .collect()
            })
        };
        let text = |key: &str| v[key].as_str().unwrap_or_default().to_string();
        Ok(BaseConfig {
            env: list("Env")
                .unwrap_or_default()
                .iter()
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv.clone(), String::new()),
                })
                .collect(),
            user: text("User"),
            workdir: text("WorkingDir"),
            entrypoint: list("Entrypoint"),
            cmd: list("Cmd"),
            shell: list("Shell")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]),
        })
    }
}

/// One RUN instruction: the command it runs, in which folder, with the ENV set before it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStep {
    pub argv: Vec<String>,
    pub dir: String,
    pub env: Vec<(String, String)>,
}

/// One `COPY [--chown=UID:GID] . DEST`: the context into DEST (the WORKDIR), owned by `owner`.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyStep {
    pub dest: String,
    pub owner: (u32, u32),
}

/// A Dockerfile read for a one-commit build.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The image it builds FROM, its build arguments expanded.
    pub base: String,
    pub runs: Vec<RunStep>,
    /// Its WORKDIR (the series sets at most one), created root-owned like the builder's.
    pub workdir: Option<String>,
    pub copies: Vec<CopyStep>,
    /// `ENV`, `EXPOSE`, `VOLUME` and `LABEL` as `docker commit --change` takes them, in order.
    pub changes: Vec<String>,
}

const READ: &str =
    "ARG, FROM, RUN (before any COPY), ENV, EXPOSE, one absolute WORKDIR, COPY [--chown=UID:GID] . WORKDIR, VOLUME, LABEL";

/// Reads `text` (a Dockerfile) built with `args` (`--build-arg`s) on a base with config `base`.
pub fn plan(text: &str, args: &[(String, String)], base: &BaseConfig) -> Result<Plan> {
    let mut state = State {
        plan: Plan::default(),
        globals: Vec::new(),
        stage_args: Vec::new(),
        env: Vec::new(),
        base: base.clone(),
        args: args.to_vec(),
        from: false,
        volume: false,
    };
    for (line, instruction, rest) in instructions(text)? {
        state
            .read(&instruction, &rest)
            .with_context(|| format!("line {line}: {instruction} {rest}"))?;
    }
    if !state.from {
        bail!("no FROM line");
    }
    Ok(state.plan)
}

/// The image `text` builds FROM, with `args` (no base config needed: FROM sees only the ARGs before it).
pub fn base_of(text: &str, args: &[(String, String)]) -> Result<String> {
    let mut globals: Vec<(String, String)> = Vec::new();
    for (line, instruction, rest) in instructions(text)? {
        let context = || format!("line {line}: {instruction} {rest}");
        match instruction.as_str() {
            "ARG" => {
                if let (name, Some(value)) = arg_of(&rest, &globals, args).with_context(context)? {
                    globals.push((name, value));
                }
            }
            "FROM" => return word(&rest, &globals).with_context(context),
            _ => bail!("line {line}: only ARG may come before FROM"),
        }
    }
    bail!("no FROM line")
}

/// `ARG NAME[=DEFAULT]`: its name, and its value (the build argument given, else the default).
fn arg_of(
    rest: &str,
    vars: &[(String, String)],
    args: &[(String, String)],
) -> Result<(String, Option<String>)> {
    let declared = word(rest, vars)?;
    let (name, default) = match declared.split_once('=') {
        Some((n, d)) => (n.to_string(), Some(d.to_string())),
        None => (declared, None),
    };
    let given = args
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.clone());
    Ok((name, given.or(default)))
}

struct State {
    plan: Plan,
    /// ARGs before FROM (they name the base) and after it, with their values.
    globals: Vec<(String, String)>,
    stage_args: Vec<(String, Option<String>)>,
    /// The ENV set by the Dockerfile itself (the base's are in `base.env`).
    env: Vec<(String, String)>,
    base: BaseConfig,
    args: Vec<(String, String)>,
    from: bool,
    volume: bool,
}

impl State {
    /// What a word of an instruction after FROM is expanded with: the stage's ARGs, then the ENV
    /// (the base's, then the Dockerfile's), which win over an ARG of the same name.
    fn vars(&self) -> Vec<(String, String)> {
        let args = self
            .stage_args
            .iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)));
        args.chain(self.base.env.iter().cloned())
            .chain(self.env.iter().cloned())
            .collect()
    }

    fn read(&mut self, instruction: &str, rest: &str) -> Result<()> {
        if !self.from && !matches!(instruction, "ARG" | "FROM") {
            bail!("only ARG may come before FROM");
        }
        match instruction {
            "ARG" => self.arg(rest)?,
            "FROM" => {
                if self.from {
                    bail!("a second FROM (multi-stage builds are not read here)");
                }
                self.plan.base = word(rest, &self.globals)?;
                self.from = true;
            }
            "RUN" => self.run(rest)?,
            "ENV" | "LABEL" => {
                let pairs = pairs(rest, &self.vars())?;
                for (k, v) in &pairs {
                    self.plan
                        .changes
                        .push(format!("{instruction} {k}={}", quoted(v)));
                    if instruction == "ENV" {
                        self.env.push((k.clone(), v.clone()));
                    }
                }
            }
            "EXPOSE" => {
                for port in words(rest, &self.vars())? {
                    self.plan.changes.push(format!("EXPOSE {port}"));
                }
            }
            "VOLUME" => {
                let paths = json_or_words(rest, &self.vars())?;
                self.plan
                    .changes
                    .push(format!("VOLUME {}", serde_json::to_string(&paths)?));
                self.volume = true;
            }
            "WORKDIR" => {
                let dir = word(rest, &self.vars())?;
                if !dir.starts_with('/') || self.plan.workdir.is_some() {
                    bail!("one absolute WORKDIR is read here");
                }
                self.plan.workdir = Some(dir.trim_end_matches('/').to_string());
            }
            "COPY" => self.copy(rest)?,
            other => bail!("{other} is not read by the one-commit build (it reads {READ}): build this Dockerfile with `docker build`, or add {other} to xtask/src/images/onecommit/plan.rs"),
        }
        Ok(())
    }

    fn arg(&mut self, rest: &str) -> Result<()> {
        let vars = if self.from {
            self.vars()
        } else {
            self.globals.clone()
        };
        let (name, value) = arg_of(rest, &vars, &self.args)?;
        if self.from {
            // Declared again in the stage without a value, a global ARG keeps its own.
            let global = self
                .globals
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone());
            self.stage_args.push((name, value.or(global)));
        } else if let Some(value) = value {
            self.globals.push((name, value));
        }
        Ok(())
    }

    fn run(&mut self, rest: &str) -> Result<()> {
        if !self.plan.copies.is_empty() || self.volume {
            bail!("a RUN after COPY or VOLUME is not read here (the one-commit build runs every RUN first): move it up");
        }
        if self.stage_args.iter().any(|(_, v)| v.is_some()) {
            bail!("a RUN with a build argument in scope is not read here (its value would go into the image's history)");
        }
        let argv = match exec_form(rest) {
            Some(argv) => argv,
            None => self
                .base
                .shell
                .iter()
                .cloned()
                .chain([rest.to_string()])
                .collect(),
        };
        let dir = self.plan.workdir.clone().unwrap_or_else(|| {
            Some(self.base.workdir.clone())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "/".into())
        });
        self.plan.runs.push(RunStep {
            argv,
            dir,
            env: self.env.clone(),
        });
        Ok(())
    }

    fn copy(&mut self, rest: &str) -> Result<()> {
        let mut parts = words(rest, &self.vars())?;
        let mut owner = (0, 0);
        if let Some(flag) = parts.first().filter(|p| p.starts_with("--")).cloned() {
            let ids = flag
                .strip_prefix("--chown=")
                .with_context(|| format!("{flag}: only --chown is read here"))?;
            owner = numeric_owner(ids)?;
            parts.remove(0);
        }
        let workdir = self.plan.workdir.clone().unwrap_or_default();
        match &parts[..] {
            [source, dest]
                if source == "."
                    && !workdir.is_empty()
                    && (dest.trim_end_matches('/') == workdir || dest == ".") =>
            {
                if self.volume {
                    bail!("a COPY after VOLUME is not read here");
                }
                self.plan.copies.push(CopyStep {
                    dest: workdir,
                    owner,
                });
                Ok(())
            }
            _ => bail!("only `COPY . WORKDIR` (the whole context into the WORKDIR set before it) is read here"),
        }
    }
}

/// `UID:GID` (numbers, as the series' `$NB_UID:$NB_GID` expand to); a name would need the image's
/// /etc/passwd.
fn numeric_owner(ids: &str) -> Result<(u32, u32)> {
    let (uid, gid) = ids.split_once(':').unwrap_or((ids, ids));
    match (uid.parse(), gid.parse()) {
        (Ok(u), Ok(g)) => Ok((u, g)),
        _ => bail!("--chown={ids}: only numeric UID:GID is read here (a user name needs the image's /etc/passwd)"),
    }
}

/// `KEY=VALUE ...`, or the old `KEY VALUE` form.
fn pairs(rest: &str, vars: &[(String, String)]) -> Result<Vec<(String, String)>> {
    let parts = words(rest, vars)?;
    match parts.first() {
        Some(first) if !first.contains('=') => {
            let (key, value) = rest
                .trim()
                .split_once(char::is_whitespace)
                .unwrap_or((rest, ""));
            Ok(vec![(word(key, vars)?, words(value, vars)?.join(" "))])
        }
        Some(_) => parts
            .into_iter()
            .map(|p| match p.split_once('=') {
                Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
                _ => bail!("{p:?} is not KEY=VALUE"),
            })
            .collect(),
        None => bail!("nothing to set"),
    }
}

/// A value as `docker commit --change` reads it back: quoted when it holds anything but plain characters.
pub fn quoted(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,@%+".contains(c))
    {
        value.to_string()
    } else {
        format!(
            "\"{}\"",
            value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('$', "\\$")
        )
    }
}

/// `["a", "b"]` (a JSON array of strings), as RUN and VOLUME may be written.
fn exec_form(rest: &str) -> Option<Vec<String>> {
    rest.trim_start()
        .starts_with('[')
        .then(|| serde_json::from_str::<Vec<String>>(rest.trim()).ok())
        .flatten()
}

fn json_or_words(rest: &str, vars: &[(String, String)]) -> Result<Vec<String>> {
    match exec_form(rest) {
        Some(list) => list.iter().map(|p| word(p, vars)).collect(),
        None => words(rest, vars),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
