//! `cargo xtask bench`, its cheapest part end to end: the report files are written and parse.
//! (Speed is only ever measured by the bench itself: nothing here checks a timing.)

mod support;

use support::*;

#[test]
fn bench_noop_writes_a_report_in_three_forms() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    xtask().args(["bench", "--quick", "--only", "noop", "--out", dir]).assert().success();

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["runs"], 3);
    let figures = json["figures"].as_array().unwrap();
    let noop = figures.iter().find(|f| f["id"] == "base-noop").expect("the no-op figure");
    assert_eq!(noop["measured"]["runs"], 3);
    assert_eq!(noop["baseline"]["runs"], 3);
    assert_eq!(noop["measured"]["samples"].as_array().unwrap().len(), 3);
    assert!(noop["ratio"].as_f64().unwrap() > 0.0);
    assert!(noop["met"].is_boolean());

    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("| figure | measured | against | baseline | ratio | target | met |"), "{md}");
    assert!(md.lines().any(|l| l.starts_with("| no-op `cargo xtask base`")), "{md}");

    let svg = std::fs::read_to_string(out.path().join("report.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    assert!(svg.contains("<rect"));
}
