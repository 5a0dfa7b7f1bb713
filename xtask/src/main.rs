//! `cargo xtask`: Jupyter in Docker with the data handled right, and the tutorial series replayed
//! against a real engine. One module per task, each with `run(self, sh)`.

mod base;
mod build;
mod docker;
mod doctor;
mod lock;
mod paths;
mod progress;
mod recipe;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Jupyter in Docker, with the data handled right", version)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Check the docker client, engine, builder, compose, base image, mmdebstrap, disk and port 8888.
    Doctor(doctor::Doctor),
    /// Make sure the Jupyter base image exists (official, or the offline stand-in built here).
    Base(base::Base),
    /// Build the series' images (custom-jupyter-image:anon-volume, ...:named-volume, ...).
    Build(build::Build),
    /// Regenerate docker/base/requirements.lock from requirements.in (needs the package index).
    Lock(lock::Lock),
}

fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli) {
        // One line a person can act on; the chain of causes follows on the same line.
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let sh = xshell::Shell::new()?;
    sh.change_dir(paths::root());
    match cli.task {
        Task::Doctor(task) => task.run(&sh),
        Task::Base(task) => task.run(&sh),
        Task::Build(task) => task.run(&sh),
        Task::Lock(task) => task.run(&sh),
    }
}
