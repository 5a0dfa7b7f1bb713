//! The hub on a Docker Swarm (`hub up --swarm`): two engines in containers joined in a swarm
//! (`sandbox::Swarm`), the hub on the manager. Two users' servers land on both nodes, each writes
//! into their own volume on their node and cannot reach the other's; a user who does not fit on
//! any node is told so in one line; after `hub down` and `up` both find their data on the same
//! node; the culler stops idle servers and the volumes stay; `down -v --yes` removes the volumes
//! on every node.

use xtask::engine::Docker;
use xtask::sandbox::Swarm;

use super::client::*;
use super::support::*;
use super::{accounts, Hub, USERS};

/// The hub on `swarm`'s manager, reached through a forward of its port; the port.
fn up_on(swarm: &Swarm, hub: &mut Hub, cull_timeout: &str, memory: &str) -> u16 {
    let port = hub.up_with(cull_timeout, &["--swarm", "--memory", memory]);
    hub.addr = swarm.forward(port).unwrap();
    port
}

/// The node `user`'s server runs on (the task's node, as the manager sees it).
fn node_of(swarm: &Swarm, hub: &Hub, user: &str) -> String {
    let format = "{{.Node}}|{{.CurrentState}}";
    let filter = "desired-state=running";
    let server = hub.server(user);
    let args = [
        "service", "ps", "--filter", filter, "--format", format, &server,
    ];
    let tasks = swarm.manager().engine.output(args).unwrap();
    let (node, state) = tasks.split_once('|').unwrap();
    assert!(state.starts_with("Running"), "{user}'s server: {tasks}");
    node.to_string()
}

/// The memory each server reserves: 60% of a node's, so one node holds one server and a third
/// user fits nowhere.
fn most_of_a_node(manager: &Docker) -> String {
    let bytes: u64 = manager
        .output([
            "node",
            "inspect",
            "self",
            "-f",
            "{{.Description.Resources.MemoryBytes}}",
        ])
        .unwrap()
        .parse()
        .unwrap();
    format!("{}m", (bytes * 6 / 10) >> 20)
}

#[test]
fn two_users_on_a_two_node_swarm_each_with_their_own_server_and_volume() {
    let host = engine();
    let sandbox = xtask::images::sandbox::ensure(&host).unwrap();
    let sh = xshell::Shell::new().unwrap();
    let (hub_image, user_image) =
        xtask::images::hub::ensure_for(&sh, xtask::jupyter::DEFAULT_IMAGE).unwrap();
    // What `hub up` finds on the manager instead of building: the base and the series image the
    // users' image comes from (their layers are mostly the same: one save of all four).
    let base =
        xtask::images::base::ensure(&sh, xtask::images::base::Source::Auto, false, false).unwrap();
    let notebooks =
        xtask::jupyter::layout::Notebooks::resolve(&xtask::paths::notebooks_dir()).unwrap();
    notebooks.make_outputs().unwrap();
    // The notebooks (each server's /work) and the hub's config, as a team shares them over NFS.
    let config = xtask::images::hub::config_dir();
    let shared = [notebooks.real.as_path(), config.as_path()];
    let swarm = Swarm::start(&host, &sandbox, 2, &shared).unwrap();
    let made = [
        base.as_str(),
        xtask::jupyter::DEFAULT_IMAGE,
        &user_image,
        &hub_image,
    ];
    swarm.load_images(&host, &made).unwrap();
    let manager = swarm.manager();
    let mut hub = Hub::unique();
    hub.host = Some(format!("unix://{}", manager.socket.display()));
    hub.home = hub.host.clone();
    let memory = most_of_a_node(&manager.engine);

    let port = up_on(&swarm, &mut hub, "600", &memory);
    let passwords = accounts(&hub, port);
    let tokens: Vec<String> = USERS
        .iter()
        .zip(&passwords)
        .map(|(u, p)| log_in(&hub, port, u, p))
        .collect();
    for (user, token) in USERS.iter().zip(&tokens) {
        start_server(&hub, port, user, token);
        let file = format!("{user}.txt");
        assert_eq!(
            write_file(&hub, port, token, user, &file, &format!("{user}'s result")),
            201
        );
    }
    let (alice, bob) = (&tokens[0], &tokens[1]);
    assert_eq!(read_file(&hub, port, alice, "bob", "bob.txt").0, 403);
    assert_eq!(
        write_file(&hub, port, alice, "bob", "x.txt", "intruder"),
        403
    );
    assert_eq!(read_file(&hub, port, bob, "alice", "alice.txt").0, 403);
    let placed: Vec<String> = USERS.iter().map(|u| node_of(&swarm, &hub, u)).collect();
    assert_ne!(
        placed[0], placed[1],
        "the two servers run on both nodes: {placed:?}"
    );
    check_volumes_on_their_nodes(&swarm, &hub, &placed, &user_image);
    no_room_is_one_line(&hub, port);

    // Down keeps every volume; up again, both log in and find their data on the same node.
    let said = hub.ok(&["down"]);
    assert!(said.contains("kept"), "{said}");
    for user in USERS {
        assert!(is_gone_on(&manager.engine, "service", &hub.server(user)));
    }
    let port = up_on(&swarm, &mut hub, "30", &memory);
    for ((user, password), node) in USERS.iter().zip(&passwords).zip(&placed) {
        let token = log_in(&hub, port, user, password);
        start_server(&hub, port, user, &token);
        let got = read_file(&hub, port, &token, user, &format!("{user}.txt"));
        assert_eq!(got, (200, format!("{user}'s result")), "{user} on {node}");
        // Asked right away: with a 30 s idle timeout the culler may stop it soon after.
        let back = node_of(&swarm, &hub, user);
        assert_eq!(&back, node, "{user}'s server back on its volume's node");
    }
    culled_and_removed(&swarm, &hub, &placed);
}

/// Each user's volume is on the node that ran their server, with the project's labels and this
/// run's, and holds their file; the other node has no such volume.
fn check_volumes_on_their_nodes(swarm: &Swarm, hub: &Hub, placed: &[String], image: &str) {
    for (user, node) in USERS.iter().zip(placed) {
        let here = &swarm.node(node).unwrap().engine;
        let labels = here
            .output([
                "volume",
                "inspect",
                "-f",
                "{{json .Labels}}",
                &hub.volume(user),
            ])
            .unwrap();
        assert!(
            labels.contains("\"jupyter-docker-xtask.managed\":\"true\""),
            "{labels}"
        );
        assert!(labels.contains(run_id()), "{labels}");
        let mount = format!("{}:/o", hub.volume(user));
        let file = format!("/o/{user}.txt");
        let args = [
            "run",
            "--rm",
            "-v",
            &mount,
            "--entrypoint",
            "cat",
            image,
            &file,
        ];
        assert_eq!(here.output(args).unwrap(), format!("{user}'s result"));
        let elsewhere = swarm.nodes.iter().find(|n| &n.name != node).unwrap();
        assert!(is_gone_on(&elsewhere.engine, "volume", &hub.volume(user)));
    }
}

/// A third user, with both nodes full: refused at once, in one line on their page and in the
/// hub's log, and nothing made (no service).
fn no_room_is_one_line(hub: &Hub, port: u16) {
    let password = add_user(hub, "carol");
    let token = log_in(hub, port, "carol", &password);
    let path = "/hub/api/users/carol/server";
    let (code, body) = api(hub, port, &token, "POST", path, "");
    assert!(code >= 400, "no room, no server: {code} {body}");
    let (_, progress) = api(hub, port, &token, "GET", &format!("{path}/progress"), "");
    assert!(
        progress.contains("no swarm node has room"),
        "{body}\n{progress}"
    );
    let manager = Docker::new(&xshell::Shell::new().unwrap()).at_host(hub.host.as_deref().unwrap());
    let out = manager.status(["logs", &hub.name]).unwrap();
    let log = format!("{}{}", out.stdout, out.stderr);
    // The hub's own line (JupyterHub adds its traceback of the refusal after it).
    let ours =
        |l: &&str| l.contains("jupyterhub_config") && l.contains("carol: no swarm node has room");
    let said = log.lines().filter(ours).count();
    assert_eq!(said, 1, "one line in the hub's log:\n{log}");
    assert!(is_gone_on(&manager, "service", &hub.server("carol")));
}

/// The culler stops the idle servers (their services go, the volumes stay on their nodes); then
/// `down -v` asks, and with `--yes` removes the volumes on every node and the hub's own.
fn culled_and_removed(swarm: &Swarm, hub: &Hub, placed: &[String]) {
    let manager = &swarm.manager().engine;
    wait_until(
        std::time::Duration::from_secs(150),
        "the idle servers stopped",
        || {
            USERS
                .iter()
                .all(|u| is_gone_on(manager, "service", &hub.server(u)))
        },
    );
    for (user, node) in USERS.iter().zip(placed) {
        let here = &swarm.node(node).unwrap().engine;
        assert!(
            !is_gone_on(here, "volume", &hub.volume(user)),
            "{user}'s volume on {node}"
        );
    }
    let err = the_error(&hub.cmd(&["down", "-v"]));
    assert!(err.contains("pass --yes"), "{err}");
    let said = hub.ok(&["down", "-v", "--yes"]);
    for (user, node) in USERS.iter().zip(placed) {
        let here = &swarm.node(node).unwrap().engine;
        assert!(
            is_gone_on(here, "volume", &hub.volume(user)),
            "{user}'s volume on {node}:\n{said}"
        );
        assert!(
            said.contains(&format!("removed {} on {node}", hub.volume(user))),
            "{said}"
        );
    }
    assert!(is_gone_on(
        manager,
        "volume",
        &format!("{}-state", hub.name)
    ));
    assert!(is_gone_on(manager, "network", &format!("{}-net", hub.name)));
}
