//! `cargo xtask walkthrough mysql`, end to end: the verdicts in both modes, then this test's own
//! look at what the walkthrough kept (`--keep`): rows counted through a fresh client container after
//! mysql-db was re-created on its volume, and the password in (or out of) the image.

mod support;

use serde_json::Value;
use support::*;

/// Guards for all a `--keep` run may have left: containers (also as renamed on keeping), then
/// networks and volumes, then the images (a Vec drops first to last).
fn guards_for(report: &Value) -> Vec<Guard> {
    let mut containers = Vec::new();
    let mut rest = Vec::new();
    for s in report["sections"].as_array().unwrap() {
        let suffix = slug(s["name"].as_str().unwrap());
        let names = s["names"].as_object().unwrap();
        let mut all: Vec<String> = vec![s["db"].as_str().unwrap().to_string()];
        for key in ["host-mysql", "custom-jupyter-container-mysql"] {
            if let Some(n) = names.get(key) {
                all.push(n.as_str().unwrap().to_string());
            }
        }
        for c in all {
            containers.push(Guard::container(&format!("{c}-{suffix}")));
            containers.push(Guard::container(&c));
        }
        rest.push(Guard::network(s["network"].as_str().unwrap()));
        if let Some(v) = names.get("mysqldata") {
            rest.push(Guard::volume(v.as_str().unwrap()));
        }
        if let Some(i) = names.get("custom-jupyter-image:mysql-connected") {
            rest.push(Guard::image(i.as_str().unwrap()));
        }
    }
    containers.extend(rest);
    containers
}

/// `SELECT COUNT(*)` of the 2018 table through a new client container on the kept network.
fn rows_through_a_fresh_client(report: &Value) -> String {
    let s = section(report, "Database container");
    let db = format!("{}-{}", s["db"].as_str().unwrap(), slug(s["name"].as_str().unwrap()));
    let image = docker_ok(&["inspect", "--format", "{{.Config.Image}}", &db]);
    let env = docker_ok(&["inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", &db]);
    let password = env.lines().find_map(|l| l.strip_prefix("MYSQL_ROOT_PASSWORD=")).expect("the server's root password").to_string();
    let volume = s["names"]["mysqldata"].as_str().unwrap();
    let mounted = docker_ok(&["inspect", "--format", "{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}", &db]);
    assert!(mounted.contains(&format!("{volume}:/var/lib/mysql")), "{mounted}");
    let mut args = vec!["run", "--rm", "--network", s["network"].as_str().unwrap()];
    let labels = labels();
    args.extend(labels.iter().map(String::as_str));
    let pwd = format!("MYSQL_PWD={password}");
    args.extend(["-e", &pwd, &image, "mysql", "-h", "mysql-db", "-uroot", "-N", "-B", "-e", "SELECT COUNT(*) FROM scooter_trips.Motorized_Foot_Scooter_Trips_2018"]);
    docker_ok(&args).lines().last().unwrap_or("").trim().to_string()
}

fn password_in_history(report: &Value) -> bool {
    let s = section(report, "Database container");
    let tag = s["names"]["custom-jupyter-image:mysql-connected"].as_str().unwrap();
    let db = format!("{}-{}", s["db"].as_str().unwrap(), slug(s["name"].as_str().unwrap()));
    let env = docker_ok(&["inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", &db]);
    let password = env.lines().find_map(|l| l.strip_prefix("MYSQL_ROOT_PASSWORD=")).unwrap().to_string();
    docker_ok(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", tag]).contains(&password)
}

#[test]
fn corrected_mode_keeps_the_data_on_the_volume_and_the_password_out_of_the_image() {
    images();
    let (report, out) = walkthrough(&["mysql", "--keep"]);
    let _guards = guards_for(&report);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((report["article"].as_str(), report["mode"].as_str(), report["ok"].as_bool()), (Some("persist-jupyter-data-mysql-docker"), Some("corrected"), Some(true)));
    for words in ["host.docker.internal names the host", "the 2021 table appears", "credentials stay out", "once mysql-db is healthy", "prints why it failed", "the data survives `docker rm` and a new mysql-db"] {
        assert_eq!(claim(&report, words)["holds"], true, "{words}: {}", claim(&report, words)["evidence"]);
    }
    assert!(claim(&report, "prints why it failed")["evidence"].as_str().unwrap().contains("Access denied"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plays the host's database"), "the transcript says what plays the host's database");

    assert_eq!(rows_through_a_fresh_client(&report), "1000");
    assert!(!password_in_history(&report), "corrected: no password in the image's history");
}

#[test]
fn literal_mode_shows_the_articles_errata() {
    images();
    let (report, out) = walkthrough(&["mysql", "--literal", "--keep"]);
    let _guards = guards_for(&report);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report["ok"], true);
    for words in ["credentials stay out", "host.docker.internal names the host", "prints why it failed", "accepts connections as soon as", "does not keep the data"] {
        let c = claim(&report, words);
        assert_eq!((c["holds"].as_bool(), c["expected"].as_bool()), (Some(false), Some(false)), "{words}: {}", c["evidence"]);
    }
    assert!(claim(&report, "prints why it failed")["evidence"].as_str().unwrap().contains("<class 'mysql.connector.errors.Error'>"));
    assert_eq!(claim(&report, "orphaned")["holds"], true);
    assert_eq!(rows_through_a_fresh_client(&report), "1000");
    assert!(password_in_history(&report), "literal: the build argument's password is in the image's history");
}
