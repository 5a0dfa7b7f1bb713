//! A remote Docker host, as people drive one (`DOCKER_HOST=ssh://root@ADDRESS`): the stand-in is a
//! sandbox engine with an SSH server in front, reached with a key and a host key made for the run.

mod support;

use support::*;
use xtask::sandbox::Remote;

// The tests by what they drive on the remote, in files of their own (the binary is still `remote`).
#[path = "remote/faults.rs"]
mod faults;
#[path = "remote/registry.rs"]
mod registry;
#[path = "remote/ssh.rs"]
mod ssh;
#[path = "remote/up.rs"]
mod up;

/// The remote stand-in. Its data volume (the remote engine's images) is the machine's, like the
/// sandbox registry's, so a second run finds the shipped image there; its container, network and
/// scratch volume carry the run's label (the suite's leak check sees them) and go on drop.
fn remote() -> Remote {
    Remote::start(&engine()).expect("the remote stand-in starts")
}

/// The xtask with this run's ssh first on PATH: as a person whose SSH is set up for the remote.
fn xtask_on(remote: &Remote) -> assert_cmd::Command {
    let mut cmd = xtask();
    cmd.env("PATH", remote.path());
    cmd
}

/// What `up --host` made on the remote goes at the end of a test, whatever happened: the
/// container (and its tunnel, through `down --host`), the named volumes.
struct OnRemote<'a> {
    remote: &'a Remote,
    name: String,
    _volumes: Vec<xtask::engine::resources::Guard>,
}

impl<'a> OnRemote<'a> {
    fn new(remote: &'a Remote, name: &str, volumes: &[&str]) -> OnRemote<'a> {
        let guards = volumes
            .iter()
            .map(|v| {
                xtask::engine::resources::Guard::new(
                    &remote.direct,
                    Resource::Volume(v.to_string()),
                )
            })
            .collect();
        OnRemote {
            remote,
            name: name.into(),
            _volumes: guards,
        }
    }
}

impl Drop for OnRemote<'_> {
    fn drop(&mut self) {
        let _ = xtask_on(self.remote)
            .args(["down", "--host", &self.remote.url, "--name", &self.name])
            .output();
        let _ = self.remote.direct.status(["rm", "-f", "-v", &self.name]);
    }
}
