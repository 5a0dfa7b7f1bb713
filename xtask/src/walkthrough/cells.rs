//! The notebook cells of article 3 (article 4 runs its section D again), byte for byte as the
//! article writes them (data/mysql/cells.md), and how a sitting of them is run and read: the data URLs
//! become the bundled samples, corrected mode prints the error each `except` caught.

use std::time::{SystemTime, UNIX_EPOCH};

use super::session::{Mode, Ran};

/// The cells, one fenced block each whose info string is `python NAME` (sections B: L1-L4, JupyterLab
/// and MySQL on the host; C: C1-C4, JupyterLab in a container, MySQL on the host; D: N1-N4, both
/// in containers on one network).
const CELLS: &str = include_str!("data/mysql/cells.md");

/// Cell `name` as the article writes it, with its final newline.
pub fn cell(name: &str) -> &'static str {
    fenced_cells(CELLS)
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, code)| code)
        .unwrap_or_else(|| panic!("data/mysql/cells.md has no cell {name}"))
}

/// The closed ```` ```python NAME ```` blocks of a Markdown text, as (NAME, the block's lines with
/// their newlines); the prose around them is passed over.
fn fenced_cells(text: &str) -> Vec<(&str, &str)> {
    let mut cells = Vec::new();
    // The open block's name and where its code starts.
    let mut open: Option<(&str, usize)> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        match (open, line.trim_end()) {
            (None, fence) => {
                open = fence
                    .strip_prefix("```python ")
                    .map(|name| (name.trim(), at + line.len()))
            }
            (Some((name, start)), "```") => {
                cells.push((name, &text[start..at]));
                open = None;
            }
            (Some(_), _) => {}
        }
        at += line.len();
    }
    cells
}

/// The ArcGIS Hub downloads of the article and the bundled samples used in their place.
const DATA: &[(&str, &str)] = &[
    ("https://opendata.arcgis.com/api/v3/datasets/f3277b5838814277afa3275671e632e5_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1", "data/Motorized-Foot-Scooter-Trips-2020.csv"),
    ("https://opendata.arcgis.com/api/v3/datasets/033311f71d5a4b98babaa2280b432a43_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1", "data/Motorized-Foot-Scooter-Trips-2021.csv"),
    ("https://opendata.arcgis.com/api/v3/datasets/aaf4274109f34ffd93ac71267c5b276e_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1", "data/Motorized-Foot-Scooter-Trips-2018.csv"),
];

const ERROR_AS_WRITTEN: &str =
    "except Error:\n    print(\"Error while connecting to MySQL\", Error)";
const ERROR_CORRECTED: &str =
    "except Error as e:\n    print(\"Error while connecting to MySQL:\", e)";

pub const TABLE_2018: &str = "Motorized_Foot_Scooter_Trips_2018";
/// What every failing cell prints as written: the exception's class, not the error.
pub const CLASS_ONLY: &str =
    "Error while connecting to MySQL <class 'mysql.connector.errors.Error'>";

/// The cells of one sitting as one Python program run in the container: each cell announced by a
/// `# cell NAME <unix time>` line (when it started, by the container's clock, which is the
/// host's), the data URLs replaced by the bundled samples, and, in corrected mode, each `except`
/// printing the error it caught.
pub fn program(mode: Mode, names: &[&str]) -> String {
    let cells: Vec<(&str, &str)> = names.iter().map(|name| (*name, cell(name))).collect();
    program_of(mode, &cells)
}

/// [`program`] for cells given as (name, code), such as another article's.
pub fn program_of(mode: Mode, cells: &[(&str, &str)]) -> String {
    let mut code = String::new();
    for (name, cell) in cells {
        code.push_str(&format!(
            "print('# cell {name}', __import__('time').time(), flush=True)\n{cell}\n"
        ));
    }
    for (url, sample) in DATA {
        code = code.replace(url, sample);
    }
    if mode == Mode::Corrected {
        code = code.replace(ERROR_AS_WRITTEN, ERROR_CORRECTED);
    }
    code
}

/// Article 3's section D in one sitting: download, create the database, store the rows, read five back.
pub fn section_d(mode: Mode) -> String {
    program(mode, &["N1", "N2", "N3", "N4"])
}

/// What cell `name` printed in a sitting's output (the lines after its `# cell` line).
pub fn cell_output(output: &str, name: &str) -> Vec<String> {
    let marker = format!("# cell {name} ");
    output
        .lines()
        .skip_while(|l| !l.starts_with(&marker))
        .skip(1)
        .take_while(|l| !l.starts_with("# cell "))
        .map(|l| l.trim().to_string())
        .collect()
}

/// When cell `name` started, in seconds after `since` (by its `# cell` line).
pub fn started_after(output: &str, name: &str, since: SystemTime) -> Option<f64> {
    let marker = format!("# cell {name} ");
    let unix: f64 = output
        .lines()
        .find_map(|l| l.strip_prefix(&marker))?
        .trim()
        .parse()
        .ok()?;
    Some(unix - since.duration_since(UNIX_EPOCH).ok()?.as_secs_f64())
}

/// Adds `port=N` where the cells connect to `host` (when the host's MySQL is not on 3306).
pub fn with_port(code: &str, host: &str, port: u16) -> String {
    if port == 3306 {
        return code.to_string();
    }
    code.replace(
        &format!("host=\"{host}\","),
        &format!("host=\"{host}\", port={port},"),
    )
}

/// The rows printed as Python tuples, as their number of fields: `('1', '2')` -> 2.
pub fn tuple_rows(output: &str) -> Vec<usize> {
    output
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("('") && l.ends_with("')"))
        .map(|l| l.split("', '").count())
        .collect()
}

/// What the sitting printed about connections: (successes, class-only errors, other error lines).
pub fn connection_lines(output: &str) -> (usize, usize, Vec<String>) {
    let ok = output
        .lines()
        .filter(|l| l.trim() == "connection successfully")
        .count();
    let class_only = output.lines().filter(|l| l.trim() == CLASS_ONLY).count();
    let others = output
        .lines()
        .filter(|l| l.starts_with("Error while connecting to MySQL") && l.trim() != CLASS_ONLY)
        .map(|l| l.trim().to_string())
        .collect();
    (ok, class_only, others)
}

/// Did section D's sitting work: three connections and five rows read back?
pub fn sitting_worked(output: &str) -> bool {
    connection_lines(output).0 == 3 && tuple_rows(output).len() == 5
}

/// The errors a sitting printed, for a claim's evidence: class-only lines, the others, and the
/// traceback's last error.
pub fn error_summary(class_only: usize, others: &[String], ran: &Ran) -> String {
    let mut parts = Vec::new();
    if class_only > 0 {
        parts.push(format!("{class_only}x `{CLASS_ONLY}`"));
    }
    parts.extend(others.iter().cloned());
    if let Some(line) = ran
        .output
        .lines()
        .rev()
        .find(|l| l.contains("Error:") && !l.starts_with("Error while"))
    {
        parts.push(format!("then {}", line.trim()));
    }
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 12] = [
        "L1", "L2", "L3", "L4", "C1", "C2", "C3", "C4", "N1", "N2", "N3", "N4",
    ];

    #[test]
    fn cells_read_the_bundled_samples_and_corrected_ones_print_the_error() {
        let literal = program(Mode::Literal, &["N1", "N2"]);
        assert!(!literal.contains("https://"), "{literal}");
        assert!(literal.contains("data_url =\"data/Motorized-Foot-Scooter-Trips-2018.csv\""));
        assert!(
            literal.contains(ERROR_AS_WRITTEN)
                && literal
                    .starts_with("print('# cell N1', __import__('time').time(), flush=True)\n")
        );
        let corrected = program(Mode::Corrected, &["L2", "L3", "C2", "C3", "N3", "N4"]);
        assert!(!corrected.contains(ERROR_AS_WRITTEN));
        assert_eq!(corrected.matches(ERROR_CORRECTED).count(), 6);
        for name in ["L1", "C1", "N1"] {
            assert!(
                !program(Mode::Literal, &[name]).contains("opendata"),
                "{name}"
            );
        }
    }

    #[test]
    fn the_data_file_holds_the_articles_cells() {
        // The twelve cells, in the article's order, nothing else fenced as a cell.
        assert_eq!(
            fenced_cells(CELLS)
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>(),
            NAMES
        );
        // Each block is one cell as the article prints it: its URL, its host, and a final newline.
        for (name, dataset) in [("L1", "f3277b58"), ("C1", "033311f7"), ("N1", "aaf42741")] {
            assert!(
                cell(name).contains(&format!("opendata.arcgis.com/api/v3/datasets/{dataset}")),
                "{name}"
            );
        }
        for (name, host) in [
            ("L2", "localhost"),
            ("L3", "localhost"),
            ("C2", "host.docker.internal"),
            ("C3", "host.docker.internal"),
            ("N2", "mysql-db"),
            ("N4", "mysql-db"),
        ] {
            assert!(cell(name).contains(&format!("host=\"{host}\",")), "{name}");
        }
        for name in NAMES {
            assert!(
                cell(name).ends_with('\n')
                    && !cell(name).ends_with("\n\n")
                    && !cell(name).contains("```"),
                "{name}"
            );
        }
        for name in ["L2", "L3", "C2", "C3", "N2", "N3", "N4"] {
            assert!(cell(name).contains(ERROR_AS_WRITTEN), "{name}");
        }
        assert!(cell("N3").contains(TABLE_2018) && cell("L2").contains("load_dotenv()\n"));
        assert!(
            cell("L1").starts_with("import pandas as pd\n")
                && cell("N4").ends_with("    print(\"Error while connecting to MySQL\", Error)\n")
        );
    }

    #[test]
    fn fenced_cells_are_the_named_python_blocks_only() {
        let text = "# Title\n\n```python A\nx = 1\n\ny = 2\n```\nprose\n```sh\nls\n```\n```python  B \n```\n```python C\nnever closed\n";
        assert_eq!(
            fenced_cells(text),
            vec![("A", "x = 1\n\ny = 2\n"), ("B", "")]
        );
        assert_eq!(fenced_cells("text ```python D\nz\n```\n"), vec![]);
    }

    #[test]
    #[should_panic(expected = "no cell X9")]
    fn an_unknown_cell_is_a_bug_named() {
        cell("X9");
    }

    #[test]
    fn what_a_cell_printed_and_when_it_started() {
        let out = "# cell N1 1000.5\n# cell N2 1003.25\nconnection successfully\n  x \n# cell N3 1004.0\nError\n";
        assert_eq!(
            cell_output(out, "N2"),
            vec!["connection successfully".to_string(), "x".to_string()]
        );
        assert_eq!(cell_output(out, "N1"), Vec::<String>::new());
        assert_eq!(cell_output(out, "N4"), Vec::<String>::new());
        let since = UNIX_EPOCH + std::time::Duration::from_secs(1000);
        assert_eq!(started_after(out, "N2", since), Some(3.25));
        assert_eq!(started_after(out, "N4", since), None);
    }

    #[test]
    fn ports_are_added_only_off_3306() {
        assert_eq!(
            with_port(cell("C2"), "host.docker.internal", 3306),
            cell("C2")
        );
        let moved = with_port(cell("C3"), "host.docker.internal", 13306);
        assert!(
            moved.contains("host=\"host.docker.internal\", port=13306,"),
            "{moved}"
        );
    }

    #[test]
    fn printed_rows_and_connection_lines() {
        let out = "# cell N4\nconnection successfully\n('154744', '256', '1108', '2018/07/10 12:00:00+00', '2018/07/10 12:00:00+00', '16914', '16914')\n('a', 'b')\n";
        assert_eq!(tuple_rows(out), vec![7, 2]);
        let errors = format!("{CLASS_ONLY}\nError while connecting to MySQL: 1045 (28000): Access denied for user 'root'\nconnection successfully\n");
        let (ok, class_only, others) = connection_lines(&errors);
        assert_eq!((ok, class_only), (1, 1));
        assert_eq!(
            others,
            vec![
                "Error while connecting to MySQL: 1045 (28000): Access denied for user 'root'"
                    .to_string()
            ]
        );
        assert!(!sitting_worked(out));
    }
}
