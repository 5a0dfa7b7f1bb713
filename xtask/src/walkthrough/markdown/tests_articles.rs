//! The five series articles read as a replay reads them, and the erratum tutorial written for the
//! tests. Every expected number below was counted by hand from the articles (lines listed).

use std::sync::LazyLock;

use super::reader::read;
use super::steps::{counts, Place, Step, StepKind};

mod filled;

/// The series articles are read from ../shared/series beside the project: they are not in the
/// repository (their prose is CC BY-ND; only their commands may be reproduced).
fn series(slug: &str) -> &'static str {
    let path = crate::paths::root()
        .join("../shared/series")
        .join(format!("{slug}.md"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: the series articles are read from ../shared/series beside the project",
            path.display()
        )
    });
    Box::leak(text.into_boxed_str())
}

static SETUP: LazyLock<&str> = LazyLock::new(|| series("jupyter-docker-setup-guide"));
static MANAGE: LazyLock<&str> = LazyLock::new(|| series("manage-jupyter-data-docker"));
static PERSIST: LazyLock<&str> = LazyLock::new(|| series("persist-jupyter-data-mysql-docker"));
static COMPOSE: LazyLock<&str> =
    LazyLock::new(|| series("multi-container-orchestration-docker-compose"));
static DEPLOY: LazyLock<&str> = LazyLock::new(|| series("deploy-jupyter-docker-linode"));
const ERRATUM: &str = include_str!("../../../test_data/markdown/erratum.md");

struct Expected {
    slug: &'static str,
    text: fn() -> &'static str,
    /// command, file, cell, output, signal, cannot-run.
    counts: [usize; 6],
    /// Lines that start with `docker ` in the file.
    docker: usize,
    placeholders: &'static [&'static str],
    /// (line of the Ctrl+C prose, line of the command it stops).
    signals: &'static [(usize, usize)],
}

const ARTICLES: &[Expected] = &[
    // commands 108 127 141 178 221 228 261(exit) 320 356 357 358 393 424 446 545 576; files 369 471 517;
    // outputs 76 111 132 144 183 233 273 327 398 427 550 579; Ctrl+C 261 343 457 595;
    // cannot run: prose 46, GUI 48 66 247 339 439 591, docker search 71 270, nano 364 466 512.
    Expected {
        slug: "jupyter-docker-setup-guide",
        text: || *SETUP,
        counts: [16, 3, 0, 12, 4, 12],
        docker: 9,
        placeholders: &[],
        signals: &[(261, 228), (343, 320), (457, 424), (595, 576)],
    },
    // commands 29-31 109 110 151 187 224 241 253 266 308 332 356 362 376 382 425 431 439 454 488 494 538 544 554 597 615;
    // files 42 121 397 515; cells 281 471; outputs 154 190 227 258 293 311 337 444 459; Ctrl+C 234;
    // cannot run: prose 22, GUI 24 271 347 434 483 497 501 557 569, elsewhere 559 610, nano 37 116 392 510.
    Expected {
        slug: "manage-jupyter-data-docker",
        text: || *MANAGE,
        counts: [28, 4, 2, 9, 1, 16],
        docker: 19,
        placeholders: &["CONTAINER_ID_OR_NAME", "VOLUME_NAME"],
        signals: &[(234, 187)],
    },
    // commands 40 55-58 129 331 405 419 534 540 560 568 574 580 596 730 734 740; files 69 119 285 320;
    // cells 151 163 208 250 426 443 477 514 603 615 650 692; outputs 132 194 238 336 412 471 500 585 644 684 714;
    // Ctrl+C 271; cannot run: prose 23, GUI 25 29 141 145 198 202 244 265 326 422 599, elsewhere 27 43,
    // sudo 34, nano 64 114 280 315.
    Expected {
        slug: "persist-jupyter-data-mysql-docker",
        text: || *PERSIST,
        counts: [19, 4, 12, 11, 1, 19],
        docker: 13,
        placeholders: &[
            "EXAMPLE_USERNAME",
            "EXAMPLE_PASSWORD",
            "EXAMPLE_USER",
            "CONTAINER_ID",
        ],
        signals: &[(271, 129)],
    },
    // commands 39 45 (the prune: it runs in the sandbox) 56-59 218 227 233 264 265 277 291; files 72 (named "computation,ipynb" as written) 118 157 206;
    // outputs 239 268 280; cannot run: prose 23 27, GUI 25 249, elsewhere 257, nano 67 113 152 201.
    Expected {
        slug: "multi-container-orchestration-docker-compose",
        text: || *COMPOSE,
        counts: [13, 4, 0, 3, 0, 9],
        docker: 8,
        placeholders: &[],
        signals: &[],
    },
    // commands 52 (docker login: Docker Hub's stand-in) 62 72 84 90 130 147 224 230 263 301; cells 370 413 450;
    // outputs 65 75 93 133 150 233 266 304 407 442 470; cannot run: elsewhere 25 37 (37: the guide replayed
    // first), prose 27 31 199 205 209 213, GUI 29 41 43 47 201 203 207 211 215 219 360 364.
    Expected {
        slug: "deploy-jupyter-docker-linode",
        text: || *DEPLOY,
        counts: [11, 0, 3, 11, 0, 20],
        docker: 11,
        placeholders: &["YOUR_DOCKER_HUB_USERNAME"],
        signals: &[],
    },
];

/// Lines of a file (1-based) that start with `docker `: every one is a command a reader must find.
pub(super) fn docker_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("docker "))
        .map(|(n, l)| (n + 1, l.trim()))
        .collect()
}

/// Every `docker ...` line of `text` is a step (command or cannot-run) at that line.
pub(super) fn assert_docker_commands_found(name: &str, text: &str, steps: &[Step]) {
    for (line, command) in docker_lines(text) {
        let found = steps.iter().any(|s| {
            s.line == line
                && matches!(
                    s.kind,
                    StepKind::Command { .. } | StepKind::CannotRun { .. }
                )
                && s.text().starts_with(command)
        });
        assert!(found, "{name}: `{command}` at line {line} not found");
    }
}

#[test]
fn step_counts_match_a_hand_count() {
    for a in ARTICLES {
        assert_eq!(
            counts(&read((a.text)())),
            a.counts,
            "{} (command, file, cell, output, signal, cannot-run)",
            a.slug
        );
    }
}

#[test]
fn every_docker_command_is_found() {
    for a in ARTICLES {
        assert_eq!(docker_lines((a.text)()).len(), a.docker, "{}", a.slug);
        assert_docker_commands_found(a.slug, (a.text)(), &read((a.text)()));
    }
}

#[test]
fn outputs_attach_to_the_step_before() {
    for a in ARTICLES {
        let steps = read((a.text)());
        for (k, s) in steps.iter().enumerate() {
            if let StepKind::Output { of_line, .. } = s.kind {
                assert!(
                    k > 0 && !matches!(steps[k - 1].kind, StepKind::Output { .. }),
                    "{} line {}",
                    a.slug,
                    s.line
                );
                assert_eq!(
                    of_line,
                    Some(steps[k - 1].line),
                    "{} line {}",
                    a.slug,
                    s.line
                );
            }
        }
    }
    let of = |text, line| {
        read(text)
            .into_iter()
            .find(|s| s.line == line)
            .map(|s| s.kind)
    };
    assert!(
        matches!(
            of(*SETUP, 76),
            Some(StepKind::Output {
                of_line: Some(71),
                ..
            })
        ),
        "docker search's table"
    );
    assert!(
        matches!(
            of(*MANAGE, 293),
            Some(StepKind::Output {
                of_line: Some(281),
                ..
            })
        ),
        "the cell's PermissionError"
    );
    assert!(
        matches!(
            of(*PERSIST, 585),
            Some(StepKind::Output {
                of_line: Some(580),
                ..
            })
        ),
        "docker ps under a mistyped title"
    );
    assert!(
        matches!(
            of(*COMPOSE, 239),
            Some(StepKind::Output {
                of_line: Some(233),
                ..
            })
        ),
        "after the note's docker logs"
    );
    assert!(
        matches!(
            of(*DEPLOY, 233),
            Some(StepKind::Output {
                of_line: Some(230),
                ..
            })
        ),
        "LISH docker run"
    );
}

#[test]
fn places_follow_titles_and_signals_stop_the_running_command() {
    let place = |text, line| match read(text)
        .into_iter()
        .find(|s| s.line == line)
        .map(|s| s.kind)
    {
        Some(StepKind::Command { place, .. }) => place,
        other => panic!("line {line}: {other:?}"),
    };
    assert_eq!(place(*SETUP, 356), Place::Host);
    assert_eq!(place(*SETUP, 141), Place::StartedContainer);
    assert_eq!(place(*SETUP, 446), Place::Jupyter);
    assert_eq!(
        place(*MANAGE, 224),
        Place::Host,
        "Local Machine Terminal #2"
    );
    assert_eq!(
        place(*PERSIST, 580),
        Place::Host,
        "{{tile=...}}: no title, the last place"
    );
    assert_eq!(place(*DEPLOY, 224), Place::Remote);
    for a in ARTICLES {
        let signals: Vec<(usize, usize)> = read((a.text)())
            .iter()
            .filter_map(|s| match s.kind {
                StepKind::Signal {
                    signal: "SIGINT",
                    to_line,
                } => Some((s.line, to_line)),
                _ => None,
            })
            .collect();
        assert_eq!(signals, a.signals, "{}", a.slug);
    }
}

#[test]
#[ignore]
fn dump_steps() {
    let slug = std::env::var("DUMP").unwrap();
    let text = series(&slug);
    for s in super::references::expand(text, &slug, read(text)) {
        let k = match &s.kind {
            StepKind::Command { place, text } => {
                format!("CMD[{}] {}", place.name(), text.replace('\n', "⏎"))
            }
            StepKind::File { name, .. } => format!("FILE {name}"),
            StepKind::Cell { notebook, code } => {
                format!("CELL {notebook}: {}", code.lines().next().unwrap_or(""))
            }
            StepKind::Output { text, of_line } => {
                format!("OUT of {of_line:?}: {}", text.lines().next().unwrap_or(""))
            }
            StepKind::Signal { signal, to_line } => format!("SIG {signal} -> {to_line}"),
            StepKind::CannotRun { text, why } => format!("CANNOT {text}: {why}"),
        };
        println!("{:4} {}", s.line, k.chars().take(150).collect::<String>());
    }
}
