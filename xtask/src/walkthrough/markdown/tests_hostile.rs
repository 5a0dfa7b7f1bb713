//! A replayed tutorial is untrusted input: random and hostile Markdown (fences of every length,
//! odd blanks in indents, NUL, shortcodes, very long lines, tables, `...`) read, filled, compared
//! and reported without a panic and in bounded time. The documents come from a fixed seed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use super::compare::compare;
use super::placeholders::{self, Values};
use super::reader::read;
use super::report::{Report, StepResult};
use super::steps::{Step, StepKind};

mod odd_steps;

/// A small deterministic generator (xorshift64): the same documents on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const INDENTS: &[&str] = &[
    "",
    "",
    "    ",
    "  ",
    "\t",
    "\u{3000}",
    "\u{a0}",
    "    \u{3000}",
    " \u{a0} ",
    "        ",
    "\u{3000}\u{3000}    ",
];
const OPENINGS: &[&str] = &[
    "```command",
    "```command {title=\"Local Machine Terminal\"}",
    "````output",
    "```output",
    "~~~file {title=\"../../x\"}",
    "```file {title=\"~/.bashrc\"}",
    "```file {title=\"n.ipynb\" lang=\"python\"}",
    "```bash",
    "```",
    "````",
    "~~~",
    "~~~~~",
    "`````sh",
    "```text",
];
const LINES: &[&str] = &[
    "docker run -it --rm -p 8888:8888 IMAGE_NAME",
    "docker ps",
    "cat <<EOF > f",
    "EOF",
    "echo a \\",
    "...",
    "a ... b",
    "CONTAINER ID   IMAGE   NAMES",
    "0123456789ab   img     web",
    "| a | b |",
    "|---|---|",
    "1.  Run:",
    "- item",
    "## Heading",
    "{{< file \"app.js\" js >}}",
    "{{< /file >}}",
    "{{< output >}}",
    "{{< /output >}}",
    "{{< note >}}",
    "{{< /note >}}",
    "{{< content \"x\" >}}",
    "{{% %}}",
    "{{<",
    "Press <kbd>CTRL</kbd>+<kbd>C</kbd>, then type `exit` and press Enter.",
    "use the instructions in the [Heading](#heading) section",
    "Follow the instructions in [g](/docs/guides/g/)",
    "The output should resemble:",
    "a\0b",
    "\u{3000}",
    "é😀\u{a0}",
    "---",
    "",
];

/// CPU time this thread has used: a bound on it holds however loaded the shared machine is
/// (`/proc/thread-self/stat`'s utime and stime, in the kernel's usual 100 ticks a second).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let fields: Vec<u64> = stat[stat.rfind(')').unwrap() + 2..]
        .split(' ')
        .skip(11)
        .take(2)
        .map(|f| f.parse().unwrap())
        .collect();
    Duration::from_millis((fields[0] + fields[1]) * 10)
}

/// One random document: lines of prose, fences and shortcodes, with odd indents and long lines.
fn document(rng: &mut Rng) -> String {
    let mut doc = String::new();
    if rng.below(4) == 0 {
        doc.push_str("---\ntitle: \"T\"\nslug: t\n---\n");
    }
    for _ in 0..rng.below(40) {
        doc.push_str(rng.pick(INDENTS));
        match rng.below(40) {
            0..=7 => doc.push_str(rng.pick(OPENINGS)),
            8 => {
                let long = rng
                    .pick(&["x", "`", "~", "...", "A_B ", "é", " ", "\u{3000}"])
                    .repeat(1 + rng.below(1500));
                doc.push_str(&long);
            }
            _ => doc.push_str(rng.pick(LINES)),
        }
        doc.push('\n');
    }
    doc
}

/// A real output for an expected one: itself, bent, or noise.
fn real_output(rng: &mut Rng, expected: &str) -> String {
    match rng.below(4) {
        0 => expected.to_string(),
        1 => expected.replace("...", "more").replace('a', "b"),
        2 => rng.pick(LINES).repeat(rng.below(50)),
        _ => format!("{}\n````\n> **ran** (line 1): exit 0\n", rng.pick(LINES)),
    }
}

/// Everything the replay does with an article but run it.
fn read_fill_compare_report(doc: &str, rng: &mut Rng) {
    let steps = super::references::expand(doc, "t", read(doc));
    let values = Values::parse("IMAGE_NAME=img").unwrap();
    let steps: Vec<Step> = placeholders::fill(&steps, &values);
    let wildcards = placeholders::all(&steps, &values);
    for s in &steps {
        assert!(
            s.line >= 1 && s.line <= doc.lines().count().max(1),
            "line {} of {}",
            s.line,
            doc.lines().count()
        );
        if let StepKind::File { name, .. } = &s.kind {
            assert!(
                super::file_target::resolve(name).is_ok(),
                "a file block out of its folder: {name:?}"
            );
        }
    }
    let results: Vec<StepResult> = (0..steps.len())
        .filter(|k| !matches!(steps[*k].kind, StepKind::Output { .. }))
        .map(|k| {
            let verdict = super::steps::expected_output(&steps, k)
                .map(|out| compare(out.text(), &real_output(rng, out.text()), &wildcards));
            StepResult {
                step: k,
                exit: Some(rng.below(3) as i32),
                output: rng.pick(LINES).to_string(),
                verdict,
                ..Default::default()
            }
        })
        .collect();
    let report = Report {
        title: "t",
        article: doc,
        steps: &steps,
        results: &results,
        secrets: &[],
        stopped: None,
    };
    let _ = (report.markdown(), report.json(), report.summary());
}

#[test]
fn random_and_hostile_articles_never_panic_and_finish_in_bounded_time() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = cpu_time();
    for n in 0..2000 {
        let doc = document(&mut rng);
        let mut inner = Rng(rng.next() | 1);
        let one = cpu_time();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            read_fill_compare_report(&doc, &mut inner)
        }));
        assert!(
            outcome.is_ok(),
            "document {n} panicked:\n{}",
            doc.chars().take(2000).collect::<String>()
        );
        assert!(
            cpu_time() - one < Duration::from_secs(2),
            "document {n} took {:?}",
            cpu_time() - one
        );
    }
    assert!(
        cpu_time() - started < Duration::from_secs(30),
        "{:?}",
        cpu_time() - started
    );
}

/// What once made reading quadratic, at a size where it took minutes: a one-line file of many
/// quoted strings then many capital words (each word was looked up in every string and every
/// word before it), prose steps each reading on through the article, and references to a
/// section. Read, expanded and filled in seconds, references bounded.
#[test]
fn a_big_hostile_article_reads_in_linear_time() {
    let mut doc = String::from("## Removing Containers\n\n```command\n");
    doc.push_str(&"docker rm CONTAINER_X\n".repeat(200));
    doc.push_str("```\n\n## Stopping\n\n```command\ndocker stop CONTAINER_X\n```\n\n");
    doc.push_str(&"1.  Open the dashboard in a browser.\n".repeat(2_000));
    doc.push_str("\n```file {title=\"data.txt\"}\n");
    doc.push_str(&"'a', ".repeat(30_000));
    doc.extend((0..30_000).map(|n| format!("K_{n} ")));
    doc.push_str("\n```\n\n");
    doc.push_str(
        &"1.  Use the instructions in the [Removing Containers](#removing-containers) section.\n\n"
            .repeat(10),
    );
    doc.push_str(&"1.  Use the instructions in the [Stopping](#stopping) section.\n\n".repeat(300));
    let started = cpu_time();
    let read = super::references::expand(&doc, "t", read(&doc));
    let values = Values::parse("CONTAINER_X=web").unwrap();
    let steps = placeholders::fill(&read, &values);
    let names = placeholders::all(&read, &values);
    let took = cpu_time() - started;
    assert!(
        took < Duration::from_secs(8),
        "{} KB took {took:?} of CPU",
        doc.len() / 1000
    );
    assert_eq!(names.len(), 1 + 30_000, "every capital word once");
    let at = |text: &str| {
        steps
            .iter()
            .filter(|s| s.text() == text && s.line > 300)
            .count()
    };
    assert_eq!(
        at("docker rm web"),
        0,
        "a section of 200 commands is too long to copy at each reference"
    );
    assert_eq!(
        at("docker stop web"),
        190,
        "references followed: the first 200, 10 of them to the long section"
    );
    let left = steps
        .iter()
        .filter(|s| {
            s.line > 300
                && matches!(s.kind, StepKind::CannotRun { .. })
                && s.text().contains("Stopping")
        })
        .count();
    assert_eq!(left, 110);
}
