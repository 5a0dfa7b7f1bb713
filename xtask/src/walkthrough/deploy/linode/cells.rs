//! Steps 14-16 of article 5 on the Linode: the notebook's three cells in one sitting, then (not in
//! the article) the database container re-created under the notebook.

use anyhow::Result;

use super::super::super::cells::{cell, cell_output, program_of, TABLE_2018};
use super::super::super::database;
use super::super::super::db;
use super::super::super::session::Session;
use super::{mysql_line, wait_healthy, DB, JUPYTER};

const D1: &str = include_str!("../../data/deploy/D1.py");
const D2: &str = include_str!("../../data/deploy/D2.py");
/// Cell D3 is article 3's N4, byte for byte.
fn d3() -> &'static str {
    cell("N4")
}
/// The two columns D2 creates and never fills.
const UNFILLED: [&str; 2] = [
    ", StartCenterlineType VARCHAR(255)",
    ", EndCenterlineType VARCHAR(255)",
];
/// What a cell sitting needs from the notebook's kernel when it runs in a new process (the
/// variables D1 set in the article's one kernel).
const KERNEL_STATE: &str = "import mysql.connector\nfrom mysql.connector import Error\nimport os\nmysql_user = os.getenv('MYSQL_USER')\nmysql_password = os.getenv('MYSQL_PASSWORD')\n";

/// Steps 14-16: the three cells in one sitting, as soon as the page opened (once more when D1 did
/// not connect yet).
pub(super) fn run_the_cells(s: &mut Session) -> Result<()> {
    let d2 = UNFILLED
        .iter()
        .fold(D2.to_string(), |cell, column| cell.replace(column, ""));
    s.note("corrected: D2 creates the 7 columns it fills (without StartCenterlineType and EndCenterlineType)");
    let code = program_of(s.mode, &[("D1", D1), ("D2", &d2), ("D3", d3())]);
    let mut ran = database::run_cells(s, JUPYTER, &[], &code)?;
    if !cell_output(&ran.output, "D1")
        .iter()
        .any(|l| l == "connection successfully")
    {
        s.note("D1 did not connect: as a reader would, a while later, once MySQL accepts connections, the cells run again");
        database::wait_ready(s, DB)?;
        ran = database::run_cells(s, JUPYTER, &[], &code)?;
    }
    let (d1, d2_out, d3) = (
        cell_output(&ran.output, "D1"),
        cell_output(&ran.output, "D2"),
        cell_output(&ran.output, "D3"),
    );
    let csv = s
        .docker
        .probe([
            "exec",
            JUPYTER,
            "sh",
            "-c",
            "wc -l < outputs/Motorized-Foot-Scooter-Trips-2018.csv",
        ])
        .unwrap_or_default();
    s.claim(
        "d1-writes-csv",
        csv.trim() == "1001" && d1.iter().any(|l| l == "connection successfully"),
        format!(
            "lines in the CSV (with its header): {:?}; D1 printed: {}",
            csv.trim(),
            d1.join(" / ")
        ),
    );
    let expected_d2 = [
        "connection successfully",
        "You're connected to database:  ('scooter_trips',)",
        "Motorized_Foot_Scooter_Trips_2018 table created",
    ];
    s.claim(
        "d2-creates-table",
        d2_out == expected_d2,
        format!("D2 printed: {}", d2_out.join(" / ")),
    );
    let rows: Vec<(usize, usize)> = d3.iter().filter_map(|l| row_values(l)).collect();
    s.claim(
        "d3-prints-rows",
        d3.first().map(String::as_str) == Some("connection successfully")
            && rows.len() == 5
            && rows.iter().all(|(n, none)| *n == 7 && *none == 0),
        format!(
            "{} row(s) printed, as (values, of them None): {rows:?}",
            rows.len()
        ),
    );

    Ok(())
}

/// The database container re-created (an upgrade, a reboot without restart policy, a mistake):
/// the notebook's next query, right away, then what the data became.
pub(super) fn recreate(s: &mut Session, password: &str, db_env: &std::path::Path) -> Result<()> {
    let before = db::count_rows(&s.docker, DB, password, TABLE_2018);
    s.note("not in the article: mysql-db is re-created (as an upgrade or a mistake would), and the notebook's last cell runs again");
    s.cmd_ok(&format!("docker rm -f {DB}"))?;
    s.cmd_ok(&mysql_line(db_env))?;
    wait_healthy(s);
    let code = format!("{KERNEL_STATE}{}", program_of(s.mode, &[("D3", d3())]));
    let ran = database::run_cells(s, JUPYTER, &[], &code)?;
    let printed = cell_output(&ran.output, "D3");
    s.claim(
        "next-query-connects",
        printed.first().map(String::as_str) == Some("connection successfully"),
        format!("D3 printed: {}", printed.join(" / ")),
    );
    database::wait_ready(s, DB)?;
    let after = db::count_rows(&s.docker, DB, password, TABLE_2018);
    s.claim(
        "data-survives-recreate",
        after.is_some() && after == before,
        format!("rows in scooter_trips.{TABLE_2018}: {before:?} before, {after:?} after"),
    );
    Ok(())
}

/// A row printed as a Python tuple: (its values, how many are None).
pub(in crate::walkthrough::deploy) fn row_values(line: &str) -> Option<(usize, usize)> {
    let inner = line.trim().strip_prefix('(')?.strip_suffix(')')?;
    let values: Vec<&str> = inner.split(", ").collect();
    (values.len() > 1).then(|| {
        (
            values.len(),
            values.iter().filter(|v| **v == "None").count(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::session::Mode;

    #[test]
    fn rows_and_their_empty_values() {
        let printed = [
            ("('154744', '256', '1108', '2018/07/10 12:00:00+00', '2018/07/10 12:00:00+00', '16914', '16914')", Some((7, 0))),
            ("('1', '2', '3', '4', '5', '6', None, '7', None)", Some((9, 2))),
            ("connection successfully", None),
        ];
        for (line, values) in printed {
            assert_eq!(row_values(line), values, "{line}");
        }
    }

    #[test]
    fn the_cells_are_the_articles() {
        assert!(
            D1.contains("host=\"mysql-db\",") && D1.contains("aaf4274109f34ffd93ac71267c5b276e")
        );
        assert_eq!(D2.matches("VARCHAR(255)").count(), 9);
        assert_eq!(D2.matches("%s").count(), 7);
        let fixed = UNFILLED
            .iter()
            .fold(D2.to_string(), |cell, column| cell.replace(column, ""));
        assert_eq!(fixed.matches("VARCHAR(255)").count(), 7);
        assert!(!program_of(Mode::Literal, &[("D1", D1)]).contains("https://"));
    }
}
