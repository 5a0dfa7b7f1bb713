//! `cargo xtask`: Jupyter in Docker with the data handled right, and the tutorial series replayed
//! against a real engine. Thin dispatch: one module per task under `tasks/`, each with `run(self, sh)`.

use std::io::Write;

use anyhow::Result;
use clap::{Parser, Subcommand};
use xtask::{engine, exit, paths, tasks, walkthrough};

#[derive(Parser)]
// `bin_name`: the usage lines read `cargo xtask up ...`, as a person types it.
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Jupyter in Docker, with the data handled right",
    version,
    after_help = "Exit codes: 0 done; 1 an error (one `error:` line with the fix); 2 a command line that cannot be parsed; 3 a walkthrough whose claims did not all come out as expected; 130 interrupted (what the run made is removed)."
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Check the docker client, engine, builder, compose, base image, mmdebstrap, disk and port 8888.
    Doctor(tasks::doctor::Doctor),
    /// Make sure the Jupyter base image exists (official, or the offline stand-in built here).
    Base(tasks::base::Base),
    /// Build the series' images (custom-jupyter-image:anon-volume, ...:named-volume, ...).
    Build(tasks::build::Build),
    /// Regenerate docker/base/requirements.lock from requirements.in (needs the package index).
    Lock(tasks::lock::Lock),
    /// Run JupyterLab: outputs on a named volume, notebooks read-only, port on 127.0.0.1; prints the URL.
    Up(tasks::up::Up),
    /// Push the project's image to a registry (the login from Docker's credential store; `docker login REG` first).
    Push(tasks::push::Push),
    /// Execute a notebook inside the running container (headless Run All, stopping at the first error); the failing cell in one line.
    Run(tasks::run::Run),
    /// Stop and remove the container; its named volume and data stay (unless -v, confirmed).
    Down(tasks::lifecycle::Down),
    /// The project's containers: name, status, image, port, volume.
    Ps(tasks::ps::Ps),
    /// The container's state, image, port and volume (--json: container, exists, status, running,
    /// health, image, volume, port, address, tunnel).
    Status(tasks::lifecycle::Status),
    /// The running server's live URL with its token (--json: url, token, port, container, volume,
    /// image, as `up --json` prints).
    Url(tasks::lifecycle::Url),
    /// The container's log (stdout and stderr); -n N for the last lines, -f to follow.
    Logs(tasks::lifecycle::Logs),
    /// Remove what carries the project's label (volumes only with --volumes and a confirmation).
    Clean(tasks::lifecycle::Clean),
    /// Replay a tutorial article against the engine and check every claim it makes.
    Walkthrough(walkthrough::Walkthrough),
    /// A sandbox Docker engine with a registry of stand-ins, for an article's commands as written.
    Sandbox(tasks::sandbox::SandboxTask),
    /// Run the test suite: builds what it needs, labels what it makes, fails on leaks.
    Test(tasks::test::Test),
    /// JupyterHub for a team: each user's own server and volume (up, down, status, add-user NAME).
    Hub(tasks::hub::Hub),
    /// Time every speed figure against the plain docker commands; writes target/bench/report.{md,json,svg}.
    Bench(tasks::bench::Bench),
}

/// Exit codes (see `xtask::exit`): 0 done, 1 an error, 2 a command line clap could not parse,
/// 3 a walkthrough's claims not as expected, 130 interrupted, 141 stdout closed by its reader.
fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli) {
        // One line a person can act on; the chain of causes follows on the same line. Written
        // without `eprintln!`, which would panic if stderr is a pipe whose reader went away.
        // Control characters (a newline in a file name a person gave) are escaped: one error, one line.
        let _ = writeln!(
            std::io::stderr(),
            "error: {}",
            engine::one_line(&format!("{error:#}"))
        );
        engine::resources::exit(exit::code_for(&error));
    }
    engine::resources::exit(0);
}

fn run(cli: Cli) -> Result<()> {
    engine::resources::install_signal_handler();
    let sh = xshell::Shell::new()?;
    sh.change_dir(paths::root());
    match cli.task {
        Task::Doctor(task) => task.run(&sh),
        Task::Base(task) => task.run(&sh),
        Task::Build(task) => task.run(&sh),
        Task::Lock(task) => task.run(&sh),
        Task::Up(task) => task.run(&sh),
        Task::Push(task) => task.run(&sh),
        Task::Run(task) => task.run(&sh),
        Task::Down(task) => task.run(&sh),
        Task::Ps(task) => task.run(&sh),
        Task::Status(task) => task.run(&sh),
        Task::Url(task) => task.run(&sh),
        Task::Logs(task) => task.run(&sh),
        Task::Clean(task) => task.run(&sh),
        Task::Walkthrough(task) => task.run(&sh),
        Task::Sandbox(task) => task.run(&sh),
        Task::Test(task) => task.run(&sh),
        Task::Bench(task) => task.run(&sh),
        Task::Hub(task) => task.run(&sh),
    }
}
