//! Tutorials read from their own Markdown (Linode docs' Hugo format): steps, files and expected
//! outputs, replayed as written and compared with what the engine printed.
//!
//! The engine-free core: `reader::read` finds the steps, `placeholders::fill` puts the article's
//! values in, `compare::compare` judges a real output against the article's, `report` renders it all.
//! The replay (`replay::run`) runs the steps in a sandbox engine: `executor` takes them in order,
//! `job` runs each in a terminal inside the sandbox, `kernel` runs notebook cells, `screen`
//! renders what a terminal shows, `standin` stands in for the articles' unreachable downloads,
//! `local_machine` and `elsewhere` for what an article takes as set up on the reader's machine and
//! what it reaches beyond it (Docker Hub, a remote host's console).

mod causes;
pub mod claims;
pub mod commands;
pub mod compare;
mod compare_table;
pub mod elsewhere;
mod executor;
pub mod file_target;
pub mod fix;
pub mod fixing;
mod job;
mod kernel;
mod lines;
pub mod local_machine;
pub mod mask;
mod pattern;
pub mod placeholders;
mod play;
mod prerequisite;
pub mod reader;
pub mod references;
pub mod replay;
pub mod report;
mod report_markdown;
mod screen;
mod standin;
pub mod steps;
pub mod text;
pub mod transcript;

pub use compare::{compare, Verdict};
pub use placeholders::Values;
pub use reader::read;
pub use report::{Claim, Report, StepResult};
pub use steps::{Place, Step, StepKind};

#[cfg(test)]
mod tests_articles;
#[cfg(test)]
mod tests_fixtures;
#[cfg(test)]
mod tests_hostile;
