//! The bench's figures, their statistics, and the report in three forms: a Markdown table, JSON,
//! and a hand-written SVG plot (no plotting crate).

use std::fmt::Write as _;

mod chart;

pub use chart::svg;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Millis,
    Megabytes,
}

impl Unit {
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Millis => "ms",
            Unit::Megabytes => "MB",
        }
    }

    fn format(self, value: f64) -> String {
        match self {
            Unit::Seconds if value < 1.0 => format!("{value:.3} s"),
            Unit::Seconds if value < 10.0 => format!("{value:.2} s"),
            Unit::Seconds => format!("{value:.1} s"),
            Unit::Millis => format!("{value:.1} ms"),
            Unit::Megabytes => format!("{value:.0} MB"),
        }
    }
}

/// What a figure must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// The measured median divided by the baseline's median is at most this.
    RatioAtMost(f64),
    /// The measured median is below this, in the figure's unit.
    Below(f64),
}

impl Target {
    fn describe(self, unit: Unit) -> String {
        match self {
            Target::RatioAtMost(r) => format!("ratio ≤ {r:.2}"),
            Target::Below(v) => format!("< {}", unit.format(v)),
        }
    }
}

/// One line of the report: the measured command's samples and, where there is one, the baseline's
/// (the plain docker commands doing the same work).
#[derive(Debug, Clone)]
pub struct Figure {
    pub id: String,
    pub what: String,
    pub unit: Unit,
    pub samples: Vec<f64>,
    pub baseline_what: String,
    pub baseline: Vec<f64>,
    pub target: Option<Target>,
    /// Why a figure has no samples, or what to know when reading it.
    pub note: String,
}

impl Figure {
    pub fn new(id: &str, what: &str, unit: Unit) -> Figure {
        Figure {
            id: id.into(),
            what: what.into(),
            unit,
            samples: vec![],
            baseline_what: String::new(),
            baseline: vec![],
            target: None,
            note: String::new(),
        }
    }

    pub fn against(mut self, baseline_what: &str) -> Figure {
        self.baseline_what = baseline_what.into();
        self
    }

    pub fn target(mut self, target: Target) -> Figure {
        self.target = Some(target);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Figure {
        self.note = note.into();
        self
    }

    /// The median of the measured samples over the median of the baseline's.
    pub fn ratio(&self) -> Option<f64> {
        let (m, b) = (Stats::of(&self.samples)?, Stats::of(&self.baseline)?);
        (b.median > 0.0).then(|| m.median / b.median)
    }

    /// Whether the target is met: None without a target or without the samples it needs.
    pub fn met(&self) -> Option<bool> {
        match self.target? {
            Target::RatioAtMost(r) => self.ratio().map(|x| x <= r),
            Target::Below(v) => Stats::of(&self.samples).map(|s| s.median < v),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Stats {
    pub fn of(samples: &[f64]) -> Option<Stats> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Stats {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            runs: n,
        })
    }

    fn show(&self, unit: Unit) -> String {
        if self.runs == 1 {
            format!("{} (1 run)", unit.format(self.median))
        } else {
            format!(
                "{} ({}–{}, {} runs)",
                unit.format(self.median),
                unit.format(self.min),
                unit.format(self.max),
                self.runs
            )
        }
    }

    fn to_json(self, samples: &[f64]) -> serde_json::Value {
        serde_json::json!({ "median": self.median, "min": self.min, "max": self.max, "runs": self.runs, "samples": samples })
    }
}

pub struct Report {
    pub started: String,
    pub host: String,
    pub runs: usize,
    pub heavy_runs: usize,
    pub figures: Vec<Figure>,
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(report: &Report) -> String {
    let mut md = String::from("# cargo xtask bench\n\n");
    let _ = writeln!(md, "Started {} on {}.", report.started, report.host);
    let _ = writeln!(
        md,
        "Each figure is the median of its runs, with min–max (each cell says how many): {} runs of the quick figures, {} of the walkthroughs, up to 3 of the database, 1 of the cold build and the test suite. \
         The ratio is the measured median over the baseline's (the plain docker commands doing the same work); below 1 the xtask is faster.\n",
        report.runs, report.heavy_runs
    );
    md.push_str("| figure | measured | against | baseline | ratio | target | met |\n|---|---|---|---|---|---|---|\n");
    for f in &report.figures {
        let measured = Stats::of(&f.samples)
            .map(|s| s.show(f.unit))
            .unwrap_or_else(|| "not available".into());
        let baseline = Stats::of(&f.baseline)
            .map(|s| s.show(f.unit))
            .unwrap_or_else(|| {
                if f.baseline_what.is_empty() {
                    "—".into()
                } else {
                    "not available".into()
                }
            });
        let ratio = f
            .ratio()
            .map(|r| format!("{r:.2}"))
            .unwrap_or_else(|| "—".into());
        let target = f
            .target
            .map(|t| t.describe(f.unit))
            .unwrap_or_else(|| "—".into());
        let met = match f.met() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        let what = if f.note.is_empty() {
            f.what.clone()
        } else {
            format!("{} ({})", f.what, f.note)
        };
        let against = if f.baseline_what.is_empty() {
            "—".to_string()
        } else {
            f.baseline_what.clone()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&what),
            cell(&measured),
            cell(&against),
            cell(&baseline),
            ratio,
            cell(&target),
            met
        );
    }
    md.push_str("\nThe plot is in report.svg beside this file; the samples are in report.json.\n");
    md
}

pub fn json(report: &Report) -> serde_json::Value {
    let figures: Vec<serde_json::Value> = report
        .figures
        .iter()
        .map(|f| {
            serde_json::json!({
                "id": f.id,
                "what": f.what,
                "unit": f.unit.symbol(),
                "measured": Stats::of(&f.samples).map(|s| s.to_json(&f.samples)),
                "against": if f.baseline_what.is_empty() { serde_json::Value::Null } else { f.baseline_what.clone().into() },
                "baseline": Stats::of(&f.baseline).map(|s| s.to_json(&f.baseline)),
                "ratio": f.ratio(),
                "target": f.target.map(|t| match t {
                    Target::RatioAtMost(r) => serde_json::json!({"ratio_at_most": r}),
                    Target::Below(v) => serde_json::json!({"below": v}),
                }),
                "met": f.met(),
                "note": f.note,
            })
        })
        .collect();
    serde_json::json!({
        "started": report.started,
        "host": report.host,
        "runs": report.runs,
        "heavy_runs": report.heavy_runs,
        "figures": figures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_report() -> Report {
        let mut up = Figure::new("up-warm", "warm `up` <image built>", Unit::Seconds)
            .against("docker run + 50 ms poll")
            .target(Target::RatioAtMost(1.10));
        up.samples = vec![3.3, 3.0, 3.6];
        up.baseline = vec![3.0, 2.8, 3.2, 3.1];
        let mut noop =
            Figure::new("base-noop", "no-op base", Unit::Seconds).target(Target::Below(2.0));
        noop.samples = vec![0.4];
        let db = Figure::new("database", "database | ready", Unit::Seconds)
            .note("not available yet: no MySQL code");
        Report {
            started: "2026-01-01 00:00:00 UTC".into(),
            host: "2 cores".into(),
            runs: 3,
            heavy_runs: 1,
            figures: vec![up, noop, db],
        }
    }

    #[test]
    fn medians_and_spread() {
        assert_eq!(Stats::of(&[]), None);
        let odd = Stats::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((odd.median, odd.min, odd.max, odd.runs), (3.0, 1.0, 5.0, 3));
        assert_eq!(Stats::of(&[4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
    }

    #[test]
    fn ratios_and_targets() {
        let report = sample_report();
        let up = &report.figures[0];
        assert!((up.ratio().unwrap() - 3.3 / 3.05).abs() < 1e-9);
        assert_eq!(up.met(), Some(true));
        assert_eq!(report.figures[1].ratio(), None);
        assert_eq!(report.figures[1].met(), Some(true));
        assert_eq!(report.figures[2].met(), None);
        let mut slow = up.clone();
        slow.samples = vec![4.0];
        assert_eq!(slow.met(), Some(false));
    }

    #[test]
    fn markdown_has_a_row_per_figure_with_its_spread() {
        let md = markdown(&sample_report());
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(rows.len(), 1 + 3, "{md}");
        assert!(
            rows[1].contains("3.30 s (3.00 s–3.60 s, 3 runs)")
                && rows[1].contains("| 1.08 |")
                && rows[1].contains("| yes |"),
            "{}",
            rows[1]
        );
        // A `|` inside a cell must not split it.
        assert_eq!(rows[3].matches(" | ").count(), 6, "{}", rows[3]);
        assert!(rows[3].contains("not available yet"));
    }

    #[test]
    fn json_and_svg_render() {
        let report = sample_report();
        let value: serde_json::Value = serde_json::from_str(&json(&report).to_string()).unwrap();
        assert_eq!(value["figures"][0]["measured"]["runs"], 3);
        assert_eq!(value["figures"][0]["target"]["ratio_at_most"], 1.10);
        assert_eq!(value["figures"][2]["measured"], serde_json::Value::Null);
        let svg = svg(&report);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("warm `up` &lt;image built&gt;"));
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }
}
