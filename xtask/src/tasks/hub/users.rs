//! `cargo xtask hub add-user NAME`: an account made by the admin, with a one-time password made
//! here and handed to the hub on stdin (never on a command line or in the environment, which `ps`
//! and `docker inspect` show); printed once, on stdout, and stored nowhere but as a bcrypt hash in
//! the hub's database. The user changes it at /hub/change-password.

use std::io::{Read, Write};

use anyhow::{bail, Context, Result};
use xshell::Shell;

use super::{name_flag, require_running, Names};
use crate::engine::Docker;
use crate::images::hub::check_user_name;
use crate::progress;

#[derive(clap::Args, Debug)]
pub struct AddUser {
    /// The user's name: a lowercase letter, then lowercase letters or digits (it names their
    /// server's container and their volume).
    pub user: String,
}

impl AddUser {
    pub fn run(self, sh: &Shell, names: &Names) -> Result<()> {
        check_user_name(&self.user)?;
        let docker = Docker::new(sh);
        docker.require_engine()?;
        require_running(&docker, names)?;
        let password = one_time_password()?;
        let out = docker
            .exec_input(
                &names.hub,
                &["python3", "/etc/jupyterhub/add_user.py", &self.user],
            )
            .stdin_bytes(format!("{password}\n"))
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()?;
        match out.status.code() {
            Some(0) => {}
            Some(3) => bail!(
                "user {} exists on the hub {}: choose another name (their password can be changed at /hub/change-password)",
                self.user,
                names.hub
            ),
            _ => bail!(
                "the hub {} could not add {}: {}; see cargo xtask hub status{}",
                names.hub,
                self.user,
                crate::engine::last_message(&String::from_utf8_lossy(&out.stderr)),
                name_flag(names)
            ),
        }
        progress::note(&format!(
            "user {} added; their one-time password follows, shown this once and stored nowhere: hand it over, they change it at /hub/change-password",
            self.user
        ));
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{password}")?;
        Ok(())
    }
}

/// 20 characters from the kernel's random source, of an alphabet with no look-alikes (~115 bits).
fn one_time_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 64];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading /dev/urandom for the password")?;
    // Rejection sampling: only bytes below the largest multiple of the alphabet's size, so every
    // character is equally likely.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let password: String = bytes
        .iter()
        .filter(|b| **b < limit)
        .take(20)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    if password.len() < 20 {
        return one_time_password();
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_varied_and_fresh() {
        let a = one_time_password().unwrap();
        let b = one_time_password().unwrap();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() && !"l1IO0o".contains(c)));
    }
}
