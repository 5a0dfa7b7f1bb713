//! `cargo xtask bench`, its cheapest part end to end: the report files are written and parse.
//! (Speed is only ever measured by the bench itself: nothing here checks a timing.)

mod support;

use support::*;

#[test]
fn bench_noop_writes_a_report_in_three_forms() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    xtask()
        .args(["bench", "--quick", "--only", "noop", "--out", dir])
        .assert()
        .success();

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["runs"], 3);
    let figures = json["figures"].as_array().unwrap();
    let noop = figures
        .iter()
        .find(|f| f["id"] == "base-noop")
        .expect("the no-op figure");
    assert_eq!(noop["measured"]["runs"], 3);
    assert_eq!(noop["baseline"]["runs"], 3);
    assert_eq!(noop["measured"]["samples"].as_array().unwrap().len(), 3);
    assert!(
        noop["target"]["below"].is_number() && noop["met"].is_boolean(),
        "the no-op figure has a target, and a verdict on it: {noop}"
    );
    // Every figure's numbers follow from its own samples: recomputed here, not taken on trust.
    for f in figures {
        check_figure(f);
    }

    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains("| figure | measured | against | baseline | ratio | target | met |"),
        "{md}"
    );
    assert!(
        md.lines()
            .any(|l| l.starts_with("| no-op `cargo xtask base`")),
        "{md}"
    );

    let svg = std::fs::read_to_string(out.path().join("report.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    assert!(svg.contains("<rect"));
}

fn median(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn samples(stats: &serde_json::Value) -> Vec<f64> {
    stats["samples"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_f64().expect("a sample is a number"))
                .collect()
        })
        .unwrap_or_default()
}

/// A figure's median, spread, ratio and verdict, recomputed from the samples the report lists.
fn check_figure(f: &serde_json::Value) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    let (measured, baseline) = (samples(&f["measured"]), samples(&f["baseline"]));
    for (stats, s) in [(&f["measured"], &measured), (&f["baseline"], &baseline)] {
        if s.is_empty() {
            continue;
        }
        assert_eq!(stats["runs"].as_u64(), Some(s.len() as u64), "{f}");
        assert!(
            close(stats["median"].as_f64().unwrap(), median(s)),
            "median is not the samples' median: {f}"
        );
        assert!(
            close(
                stats["min"].as_f64().unwrap(),
                s.iter().copied().fold(f64::INFINITY, f64::min)
            ),
            "{f}"
        );
        assert!(
            close(
                stats["max"].as_f64().unwrap(),
                s.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            ),
            "{f}"
        );
    }
    assert!(!measured.is_empty(), "a figure without samples: {f}");
    let ratio = (!baseline.is_empty() && median(&baseline) > 0.0)
        .then(|| median(&measured) / median(&baseline));
    match ratio {
        Some(r) => assert!(
            close(f["ratio"].as_f64().expect("a ratio"), r),
            "ratio {} is not {r} (the medians' quotient): {f}",
            f["ratio"]
        ),
        None => assert!(f["ratio"].is_null(), "{f}"),
    }
    let met = match (
        f["target"]["below"].as_f64(),
        f["target"]["ratio_at_most"].as_f64(),
    ) {
        (Some(below), _) => Some(median(&measured) < below),
        (_, Some(at_most)) => ratio.map(|r| r <= at_most),
        _ => None,
    };
    assert_eq!(
        f["met"].as_bool(),
        met,
        "met does not follow the target: {f}"
    );
}
