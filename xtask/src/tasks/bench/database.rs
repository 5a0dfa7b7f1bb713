//! The MySQL server of `walkthrough mysql` (first start, fresh data directory): `docker run` then
//! the xtask's wait, against `docker run` then the usual shell loop
//! `until docker exec db mysqladmin ping; do sleep 1; done`.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::report::{Figure, Unit};
use super::Runner;
use crate::engine::resources::{Guard, Resource};
use crate::engine::RunSpec;

use crate::{images, progress};

const LIMIT: Duration = Duration::from_secs(180);

impl Runner<'_> {
    pub(super) fn database(&self) -> Result<Vec<Figure>> {
        let server = images::mysql::ensure(self.sh)?;
        let runs = self.runs.min(3);
        let mut fig = Figure::new(
            "database-ready",
            "database accepts connections (`docker run` -> the xtask's wait)",
            Unit::Seconds,
        )
        .against("docker run + `until docker exec db mysqladmin ping; do sleep 1; done`")
        .note(if server.official {
            "the official MySQL image".to_string()
        } else {
            format!("the MariaDB stand-in {}", server.image)
        });
        let password = crate::images::mysql::new_password();
        for i in 0..runs {
            let step = progress::Step::start(format!(
                "Timing the database's start, the xtask's wait and a plain loop (run {}/{runs})",
                i + 1
            ));
            for is_xtask in [i % 2 == 0, i % 2 != 0] {
                let name = format!(
                    "{}-db-{i}-{}",
                    self.prefix,
                    if is_xtask { "xtask" } else { "plain" }
                );
                let _container = Guard::new(&self.docker, Resource::Container(name.clone()));
                let started = Instant::now();
                self.docker.run(
                    &RunSpec::detached(&server.image, &name).env("MYSQL_ROOT_PASSWORD", &password),
                )?;
                if is_xtask {
                    crate::images::mysql::wait_ready(&self.docker, &name, LIMIT).with_context(
                        || {
                            format!(
                                "{name} did not accept connections within {}s",
                                LIMIT.as_secs()
                            )
                        },
                    )?;
                    fig.samples.push(started.elapsed().as_secs_f64());
                } else {
                    while !crate::images::mysql::accepts(&self.docker, &name) {
                        if started.elapsed() > LIMIT {
                            bail!(
                                "{name} did not accept connections within {}s",
                                LIMIT.as_secs()
                            );
                        }
                        std::thread::sleep(Duration::from_secs(1));
                    }
                    fig.baseline.push(started.elapsed().as_secs_f64());
                }
            }
            step.done(&format!(
                "xtask {:.1}s, plain {:.1}s",
                fig.samples[i], fig.baseline[i]
            ));
        }
        Ok(vec![fig])
    }
}
