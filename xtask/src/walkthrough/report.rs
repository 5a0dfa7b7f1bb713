//! The walkthrough's outputs: a summary for the terminal, a Markdown report that reads like the
//! article's steps with the evidence beside each, and JSON for machines.

use super::session::{verdict_line, Outcome};

pub fn summary(o: &Outcome) -> String {
    let total = o.claims().count();
    let holding = o.claims().filter(|c| c.holds).count();
    let unexpected = o.unexpected().len();
    let unchecked = o.claims().filter(|c| !c.checkable).count();
    let mut text = format!(
        "\n{} ({} mode): {holding} of {total} claims hold; {} as expected, {unexpected} unexpected; {:.0}s",
        o.slug,
        o.mode.name(),
        total - unexpected,
        o.seconds
    );
    if unchecked > 0 {
        text.push_str(&format!(
            " ({unchecked} not checkable here: only the official images could show them)"
        ));
    }
    for section in &o.sections {
        if let Some(e) = &section.error {
            text.push_str(&format!("\n  section {:?} failed: {e}", section.name));
        }
    }
    for c in o.unexpected() {
        text.push_str(&format!("\n  {}", verdict_line(c)));
    }
    text.push_str(if o.ok() {
        "\nverdict: every claim came out as expected"
    } else {
        "\nverdict: NOT as expected"
    });
    text
}

pub fn json(o: &Outcome) -> serde_json::Value {
    let claims: Vec<_> = o
        .claims()
        .map(|c| serde_json::json!({"id": c.id, "section": c.section, "claim": c.claim, "holds": c.holds, "expected": c.expected, "evidence": c.evidence, "checkable": c.checkable}))
        .collect();
    let sections: Vec<_> = o
        .sections
        .iter()
        .map(|s| serde_json::json!({
            "name": s.name, "seconds": s.seconds, "error": s.error, "notes": s.notes,
            "container": s.names.container, "volume": s.names.volume, "network": s.names.network, "db": s.names.db,
            "names": s.picked.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone()))).collect::<serde_json::Map<_, _>>(),
            "commands": s.entries.iter().map(|e| serde_json::json!({"command": e.command, "exit": e.exit})).collect::<Vec<_>>(),
        }))
        .collect();
    serde_json::json!({"article": o.slug, "mode": o.mode.name(), "ok": o.ok(), "seconds": o.seconds, "claims": claims, "sections": sections})
}

pub fn markdown(o: &Outcome) -> String {
    let mut md = format!("# {} — walkthrough ({} mode)\n\n", o.title, o.mode.name());
    md.push_str(&format!(
        "Article `{}`; {} claims checked; verdict: **{}**; {:.0}s.\n",
        o.slug,
        o.claims().count(),
        if o.ok() {
            "every claim came out as expected"
        } else {
            "not as expected"
        },
        o.seconds
    ));
    for s in &o.sections {
        md.push_str(&format!("\n## {}\n\n", s.name));
        for note in &s.notes {
            md.push_str(&format!("> {note}\n"));
        }
        if !s.notes.is_empty() {
            md.push('\n');
        }
        md.push_str("```console\n");
        for e in &s.entries {
            md.push_str(&format!("$ {}\n", e.command));
            let lines: Vec<&str> = e.output.lines().collect();
            let shown = if lines.len() > 15 {
                [&lines[..5], &["..."], &lines[lines.len() - 8..]].concat()
            } else {
                lines
            };
            for line in shown {
                md.push_str(line);
                md.push('\n');
            }
        }
        md.push_str("```\n\n| claim | holds | expected | evidence |\n|---|---|---|---|\n");
        for c in &s.claims {
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(&c.claim),
                if !c.checkable {
                    "not checkable here"
                } else if c.holds {
                    "yes"
                } else {
                    "no"
                },
                if !c.checkable {
                    "—"
                } else if c.expected {
                    "yes"
                } else {
                    "no (erratum)"
                },
                cell(&c.evidence)
            ));
        }
        if let Some(e) = &s.error {
            md.push_str(&format!("\n**Section failed:** {}\n", cell(e)));
        }
    }
    md
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
