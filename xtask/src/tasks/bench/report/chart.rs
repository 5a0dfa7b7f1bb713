//! The bench report drawn as an SVG chart: a bar per figure against its baseline and target.

use super::{Figure, Report, Stats};
use std::fmt::Write as _;

pub(super) fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart's layout: its width, the label column, the longest bar, a row's height, the header's.
const WIDTH: f64 = 1000.0;
const LABEL_W: f64 = 360.0;
const BAR_W: f64 = 460.0;
const ROW_H: f64 = 54.0;
const TOP: f64 = 60.0;

/// Horizontal bars, one pair per figure (measured, baseline), each pair on its own scale (the
/// figures range from milliseconds to minutes); the whisker spans min–max, the bar ends at the median.
pub fn svg(report: &Report) -> String {
    let rows: Vec<&Figure> = report
        .figures
        .iter()
        .filter(|f| !f.samples.is_empty())
        .collect();
    let height = TOP + ROW_H * rows.len() as f64 + 40.0;
    let mut s = String::new();
    header(&mut s, report, height);
    for (i, f) in rows.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let scale_max = scale_max(f);
        label(&mut s, f, y);
        for (j, (samples, colour)) in [(&f.samples, "#3a6fd8"), (&f.baseline, "#999")]
            .into_iter()
            .enumerate()
        {
            let Some(st) = Stats::of(samples) else {
                continue;
            };
            let by = y + 6.0 + 20.0 * j as f64;
            bar(&mut s, f, &st, colour, by, scale_max);
        }
    }
    s.push_str("</svg>\n");
    s
}

/// The opening tag, the white background, the title and the legend.
fn header(s: &mut String, report: &Report, height: f64) {
    let width = WIDTH;
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="24" font-size="16" font-weight="bold">cargo xtask bench: {}</text>"#,
        xml(&report.started)
    );
    let _ = writeln!(
        s,
        r##"<text x="10" y="44" fill="#555">median bar, min–max whisker; blue: xtask (or --parallel), grey: plain docker (or one after another); each row on its own scale</text>"##
    );
}

/// The largest sample or baseline of a figure: the end of its row's scale (never zero).
fn scale_max(f: &Figure) -> f64 {
    f.samples
        .iter()
        .chain(f.baseline.iter())
        .cloned()
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE)
}

/// A row's label: what was measured, and under it the ratio or whether the target was met.
fn label(s: &mut String, f: &Figure, y: f64) {
    let _ = writeln!(
        s,
        r#"<text x="10" y="{:.1}">{}</text>"#,
        y + 16.0,
        xml(&truncate(&f.what, 58))
    );
    if let Some(r) = f.ratio() {
        let colour = if f.met() == Some(false) {
            "#b00"
        } else {
            "#333"
        };
        let _ = writeln!(
            s,
            r#"<text x="10" y="{:.1}" fill="{colour}">ratio {r:.2}</text>"#,
            y + 32.0
        );
    } else if let Some(ok) = f.met() {
        let _ = writeln!(
            s,
            r#"<text x="10" y="{:.1}" fill="{}">{}</text>"#,
            y + 32.0,
            if ok { "#333" } else { "#b00" },
            if ok { "target met" } else { "target missed" }
        );
    }
}

/// One bar at height `by`: to the median, a min–max whisker with its end ticks, the median's value.
fn bar(s: &mut String, f: &Figure, st: &Stats, colour: &str, by: f64, scale_max: f64) {
    let (label_w, bar_w) = (LABEL_W, BAR_W);
    let x = |v: f64| label_w + bar_w * v / scale_max;
    let _ = writeln!(
        s,
        r#"<rect x="{label_w}" y="{by:.1}" width="{:.1}" height="14" fill="{colour}"/>"#,
        x(st.median) - label_w
    );
    let _ = writeln!(
        s,
        r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="black"/>"#,
        x(st.min),
        by + 7.0,
        x(st.max),
        by + 7.0
    );
    for v in [st.min, st.max] {
        let _ = writeln!(
            s,
            r#"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="black"/>"#,
            x(v),
            by + 3.0,
            by + 11.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
        x(st.max) + 6.0,
        by + 11.0,
        xml(&f.unit.format(st.median))
    );
}

pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}
