//! The hub (`cargo xtask hub`): a user's server from login to ready, one new user per run, against
//! warm `up` on the same engine; the hub's own memory per running server; a user's server's memory
//! against `up`'s container. The passwords and tokens stay in this process: they go to curl on its
//! stdin (never on a command line), and into no message, log or report.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::report::{Figure, Stats, Unit};
use super::{timed, Runner};
use crate::engine::resources::{Guard, Resource};
use crate::engine::{one_line, tail, Docker};
use crate::progress;

/// How long a user's server may take to be ready.
const READY_LIMIT: Duration = Duration::from_secs(180);
/// The poll of the hub's API for the server's state.
const POLL: Duration = Duration::from_millis(50);
/// What the hub is started with, beyond its names: no culling during the bench, 1 GB per server.
const HUB_UP: [&str; 4] = ["--cull-timeout", "600", "--memory", "1g"];
/// `docker stats` reads of the hub's memory, of which the median is taken.
const READS: usize = 3;

impl Runner<'_> {
    /// One hub for the whole part; in each run a new user's server through it, and warm `up`.
    pub(super) fn hub(&self) -> Result<Vec<Figure>> {
        let (mut ready, mut overhead, mut memory) = hub_figures();
        let fixture = self.up_fixture()?;
        let step = progress::Step::start("Starting a hub of the bench's");
        let mut hub = BenchHub::up(self)?;
        step.done(&format!("{} answers", hub.name));
        let idle = median_memory(&self.docker, &hub.name)?;
        for i in 0..self.runs {
            let step = progress::Step::start(format!(
                "Timing a user's server through the hub and warm `up` (run {}/{})",
                i + 1,
                self.runs
            ));
            // Alternate which goes first, so neither always meets a busier engine.
            for through_hub in [i % 2 == 0, i % 2 != 0] {
                if through_hub {
                    let user = format!("bench{i}");
                    ready.samples.push(hub.time_server(&user)?);
                    memory
                        .samples
                        .push(memory_of(&self.docker, &hub.server(&user))?);
                } else {
                    let mut used = 0.0;
                    let up = self.time_xtask_up(i, &fixture.image, &fixture.volume, |name| {
                        used = memory_of(&self.docker, name)?;
                        Ok(())
                    })?;
                    ready.baseline.push(up.warm);
                    memory.baseline.push(used);
                }
            }
            step.done(&format!(
                "through the hub {:.2}s, up {:.2}s",
                ready.samples[i], ready.baseline[i]
            ));
        }
        let busy = median_memory(&self.docker, &hub.name)?;
        overhead.samples.push((busy - idle) / self.runs as f64);
        overhead.note = format!(
            "{}: {idle:.0} MB with none, {busy:.0} MB with {}",
            overhead.note, self.runs
        );
        drop(hub);
        Ok(vec![ready, overhead, memory])
    }
}

/// The hub's three figures: a server to ready, the hub's memory per server, a server's memory.
fn hub_figures() -> (Figure, Figure, Figure) {
    let ready = Figure::new("hub-server-ready", "a user's server through `cargo xtask hub`, logged in -> ready (POST /hub/api/users/USER/server, then a 50 ms poll until `servers[\"\"].ready`)", Unit::Seconds)
        .against("warm `cargo xtask up` to its URL on the same engine (the `up-warm` measurement: cargo's up-to-date check included)")
        .note("one new user per run on one hub (--memory 1g); their server runs the image `up` runs with jupyterhub-singleuser added");
    let overhead = Figure::new(
        "hub-memory-per-server",
        "the hub's own memory per running user's server ((with N − with none) / N)",
        Unit::Megabytes,
    )
    .note(format!(
        "`docker stats` of the hub's container (hub and proxy), median of {READS} reads each, N = the runs"
    ));
    let memory = Figure::new(
        "hub-server-memory",
        "a user's server's container through the hub (`docker stats`, once ready)",
        Unit::Megabytes,
    )
    .against("`up`'s container of the image `up` runs (`docker stats`, after its runs)");
    (ready, overhead, memory)
}

/// A hub of the bench's, named after its run id: taken down with its volumes when dropped (on
/// success and error); its guards remove what it made on Ctrl-C.
struct BenchHub<'r, 's> {
    runner: &'r Runner<'s>,
    name: String,
    prefix: String,
    port: u16,
    /// A cookie jar per user (their sessions; no password or token is written here).
    jar: tempfile::TempDir,
    /// Removed newest first: the users' servers and volumes, the hub, its state volume, its network.
    guards: Vec<Guard>,
}

impl<'r, 's> BenchHub<'r, 's> {
    /// `hub up`, under the bench's run id; the port of the URL it prints.
    fn up(runner: &'r Runner<'s>) -> Result<Self> {
        let name = format!("jdx-{}-hub", runner.run_id);
        let guards = [
            Resource::Network(format!("{name}-net")),
            Resource::Volume(format!("{name}-state")),
            Resource::Container(name.clone()),
        ]
        .into_iter()
        .map(|r| Guard::new(&runner.docker, r))
        .collect();
        let mut hub = BenchHub {
            runner,
            prefix: format!("jdx-{}-vol", runner.run_id),
            name,
            port: 0,
            jar: tempfile::tempdir().context("making a folder for the cookie jars")?,
            guards,
        };
        let prefix = hub.prefix.clone();
        let mut up = vec!["up", "--volume-prefix", &prefix];
        up.extend(HUB_UP);
        let (_, out) = timed(hub.command(&up))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        hub.port = hub_port(last).with_context(|| {
            format!("`hub up` printed {last:?} last, not its URL http://127.0.0.1:PORT/hub/")
        })?;
        Ok(hub)
    }

    /// `xtask hub --name NAME ARGS`.
    fn command(&self, args: &[&str]) -> duct::Expression {
        let mut all = vec!["hub", "--name", self.name.as_str()];
        all.extend(args);
        self.runner.xtask(&all)
    }

    fn server(&self, user: &str) -> String {
        format!("{}-{user}", self.name)
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new user, logged in; the seconds from asking for their server to the hub saying it is ready.
    fn time_server(&mut self, user: &str) -> Result<f64> {
        let token = {
            let password = self.add_user(user)?;
            self.log_in(user, &password)?
        };
        let docker = &self.runner.docker;
        self.guards.push(Guard::new(
            docker,
            Resource::Volume(format!("{}-{user}", self.prefix)),
        ));
        self.guards
            .push(Guard::new(docker, Resource::Container(self.server(user))));
        let started = Instant::now();
        let (code, body) = self.api(&token, "POST", &format!("/hub/api/users/{user}/server"))?;
        if code != 201 && code != 202 {
            bail!("starting {user}'s server: {code} {}", one_line(&body));
        }
        let path = format!("/hub/api/users/{user}");
        let mut seen = false;
        loop {
            let (_, body) = self.api(&token, "GET", &path)?;
            let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let server = &json["servers"][""];
            if server["ready"].as_bool() == Some(true) {
                return Ok(started.elapsed().as_secs_f64());
            }
            if seen && server.is_null() {
                bail!(
                    "{user}'s server stopped before it was ready: see `docker logs {}`",
                    self.name
                );
            }
            seen |= !server.is_null();
            if started.elapsed() > READY_LIMIT {
                bail!(
                    "{user}'s server was not ready within {}s",
                    READY_LIMIT.as_secs()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// `hub add-user USER`: the one-time password it prints (kept out of every message).
    fn add_user(&self, user: &str) -> Result<String> {
        let out = self
            .command(&["add-user", user])
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()?;
        if !out.status.success() {
            eprintln!("{}", tail(&String::from_utf8_lossy(&out.stderr), 15));
            bail!("`hub add-user {user}` failed: its last lines are above");
        }
        let password = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if password.len() != 20 || !password.chars().all(|c| c.is_ascii_alphanumeric()) {
            bail!("`hub add-user {user}` printed no one-time password (a line of 20 letters and digits)");
        }
        Ok(password)
    }

    /// Logs in through the login form as a browser does, then asks the REST API for a token with
    /// that session (and the Referer a browser sends); the token.
    fn log_in(&self, user: &str, password: &str) -> Result<String> {
        let jar = self.jar.path().join(user);
        let base = self.base();
        let login = format!("{base}/hub/login");
        let (code, _) = curl(Some(&jar), &[&login], "")?;
        if code != 200 {
            bail!("the hub's login page answered {code}, not 200");
        }
        let form = format!("username={user}&password={password}");
        let (code, _) = curl(Some(&jar), &["--data-binary", "@-", &login], &form)?;
        if code != 302 {
            bail!("{user}'s login answered {code}, not 302 (a redirect to their server)");
        }
        let referer = format!("Referer: {base}/hub/token");
        let tokens = format!("{base}/hub/api/users/{user}/tokens");
        let args = [
            "-H",
            &referer,
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            "@-",
            &tokens,
        ];
        let (code, body) = curl(Some(&jar), &args, r#"{"note":"bench","expires_in":3600}"#)?;
        if code != 201 {
            bail!("asking the hub for a token for {user} answered {code}, not 201");
        }
        let json: serde_json::Value =
            serde_json::from_str(&body).context("the hub's answer with the token is no JSON")?;
        json["token"]
            .as_str()
            .map(String::from)
            .context("the hub answered 201 with no token")
    }

    /// A request with a token, as a script sends it (the header on curl's stdin); status and body.
    fn api(&self, token: &str, method: &str, path: &str) -> Result<(u16, String)> {
        let url = format!("{}{path}", self.base());
        let header = format!("Authorization: token {token}\n");
        curl(None, &["-X", method, "-H", "@-", &url], &header)
    }
}

impl Drop for BenchHub<'_, '_> {
    fn drop(&mut self) {
        let step = progress::Step::start(format!(
            "Taking the hub {} down, volumes and all",
            self.name
        ));
        match timed(self.command(&["down", "-v", "--yes"])) {
            Ok(_) => step.done("removed"),
            Err(e) => step.done(&format!("{e:#}: removing what it made one by one")),
        }
        while let Some(guard) = self.guards.pop() {
            drop(guard);
        }
    }
}

/// curl on the host, with a cookie jar when given; `stdin` is the request body or a header (a
/// password or a token never on a command line); the status code and the body.
fn curl(jar: Option<&Path>, args: &[&str], stdin: &str) -> Result<(u16, String)> {
    let mut argv: Vec<String> = ["-s", "-S", "--max-time", "30", "-w", "\n%{http_code}"]
        .map(String::from)
        .into();
    if let Some(jar) = jar {
        let jar = jar.display().to_string();
        argv.extend(["-c".into(), jar.clone(), "-b".into(), jar]);
    }
    argv.extend(args.iter().map(|a| a.to_string()));
    let out = duct::cmd("curl", argv)
        .stdin_bytes(stdin)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("running curl (is it installed?)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    match code.trim().parse::<u16>() {
        Ok(code) if code != 0 => Ok((code, body.to_string())),
        _ => bail!(
            "curl reached no hub: {}",
            one_line(&String::from_utf8_lossy(&out.stderr))
        ),
    }
}

/// The port of the URL `hub up` prints: `http://127.0.0.1:PORT/hub/`.
fn hub_port(url: &str) -> Option<u16> {
    url.trim()
        .strip_prefix("http://127.0.0.1:")?
        .strip_suffix("/hub/")?
        .parse()
        .ok()
        .filter(|p| *p != 0)
}

/// A container's memory in MB, from `docker stats`.
fn memory_of(docker: &Docker, container: &str) -> Result<f64> {
    let usage = docker.output([
        "stats",
        "--no-stream",
        "--format",
        "{{.MemUsage}}",
        container,
    ])?;
    mem_usage_mb(&usage).with_context(|| {
        format!("`docker stats` of {container} said {usage:?}, not a MemUsage like 123.4MiB / 1GiB")
    })
}

/// The median of a few reads of a container's memory (a Python process's memory wavers).
fn median_memory(docker: &Docker, container: &str) -> Result<f64> {
    let reads = (0..READS)
        .map(|_| memory_of(docker, container))
        .collect::<Result<Vec<f64>>>()?;
    Ok(Stats::of(&reads).map_or(0.0, |s| s.median))
}

/// The memory used in `docker stats`' MemUsage (`123.4MiB / 1GiB`), in MB (10^6 bytes, as the
/// report's sizes).
fn mem_usage_mb(usage: &str) -> Option<f64> {
    let used = usage.split('/').next()?.trim();
    let (number, unit) = used.split_at(used.find(|c: char| c.is_ascii_alphabetic())?);
    let number: f64 = number.trim().parse().ok()?;
    let bytes = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => return None,
    };
    (number >= 0.0).then_some(number * bytes / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_usage_as_docker_stats_prints_it() {
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-6);
        assert!(close(mem_usage_mb("123.4MiB / 1GiB"), 123.4 * 1.048_576));
        assert!(close(
            mem_usage_mb("1.5GiB / 2GiB\n"),
            1.5 * 1024.0 * 1.048_576
        ));
        assert!(close(mem_usage_mb("512KiB / 1GiB"), 0.524_288));
        assert!(close(mem_usage_mb("0B / 0B"), 0.0));
        assert!(close(mem_usage_mb("12.5MB / 1GB"), 12.5));
        assert_eq!(mem_usage_mb("-- / --"), None);
        assert_eq!(mem_usage_mb(""), None);
        assert_eq!(mem_usage_mb("12 parsecs / 1GiB"), None);
    }

    #[test]
    fn the_hub_url_gives_its_port() {
        assert_eq!(hub_port("http://127.0.0.1:49153/hub/"), Some(49153));
        assert_eq!(hub_port("http://127.0.0.1:49153/hub/\n"), Some(49153));
        assert_eq!(hub_port("http://127.0.0.1:0/hub/"), None);
        assert_eq!(hub_port("http://0.0.0.0:49153/hub/"), None);
        assert_eq!(hub_port("hub jdx runs already"), None);
    }
}
