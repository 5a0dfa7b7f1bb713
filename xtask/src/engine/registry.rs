//! An image sent through a registry (`push` here, `pull` there), with the login Docker keeps in
//! its own credential store (`docker login REG`): no password ever passes through the xtask.

use anyhow::{bail, Result};

use super::{last_message, Docker};

/// `REG/NAME:TAG` for an image `NAME[:TAG]` (`tag` replaces its tag).
pub fn reference(registry: &str, image: &str, tag: Option<&str>) -> Result<String> {
    let registry = registry.trim_end_matches('/');
    if registry.is_empty()
        || registry.contains("://")
        || registry.chars().any(|c| c.is_whitespace())
    {
        bail!("--registry {registry:?} is not a registry name: give its host (and port), e.g. registry.example.com:5000 or docker.io/USER");
    }
    let (name, own_tag) = match image.rsplit_once(':') {
        Some((name, t)) if !t.contains('/') => (name, t),
        _ => (image, "latest"),
    };
    let name = name.rsplit('/').next().unwrap_or(name);
    let reference = format!("{registry}/{name}:{}", tag.unwrap_or(own_tag));
    super::check_image_ref(&reference)?;
    Ok(reference)
}

/// Tags `image` as `reference` and pushes it; a refused login is one line naming `docker login`.
/// A tag this call made is removed again when the push fails (nothing half-made).
pub fn push(docker: &Docker, image: &str, reference: &str) -> Result<()> {
    let tagged_here = !docker.image_exists(reference);
    docker.output(["tag", image, reference])?;
    let out = docker.status(["push", reference])?;
    if !out.ok() {
        if tagged_here {
            let _ = docker.status(["image", "rm", reference]);
        }
        bail!(
            "pushing {reference} failed: {}",
            explain(&out.stderr, reference, "docker login")
        );
    }
    Ok(())
}

/// Pulls `reference` on `docker`'s engine and tags it `image` there.
pub fn pull_as(docker: &Docker, reference: &str, image: &str, login: &str) -> Result<()> {
    let out = docker.status(["pull", "-q", reference])?;
    if !out.ok() {
        bail!(
            "pulling {reference} there failed: {}",
            explain(&out.stderr, reference, login)
        );
    }
    docker.output(["tag", reference, image]).map(drop)
}

/// Docker's reason, with the fix for a refused login (`login` is the command that logs in there).
fn explain(stderr: &str, reference: &str, login: &str) -> String {
    let why = last_message(stderr);
    let lower = why.to_lowercase();
    let registry = reference.split('/').next().unwrap_or(reference);
    let unreachable = [
        "connection refused",
        "no such host",
        "i/o timeout",
        "no route to host",
        "network is unreachable",
        "dial tcp",
    ];
    if lower.contains("unauthorized")
        || lower.contains("authentication required")
        || lower.contains("denied")
        || lower.contains("no basic auth")
    {
        format!("the registry refused the login ({why}): log in with `{login} {registry}` (Docker keeps it in its credential store), then run again")
    } else if lower.contains("server gave http response to https client") {
        format!("the registry {registry} answers plain HTTP, which the engine refuses ({why}): give it TLS, or list it in the engine's insecure-registries (/etc/docker/daemon.json)")
    } else if unreachable.iter().any(|w| lower.contains(w)) {
        format!("the registry {registry} cannot be reached ({why}): check its address in --registry (host[:port]) and that it runs, then run again")
    } else {
        why
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(
            reference("127.0.0.1:5000", "custom-jupyter-image:named-volume", None).unwrap(),
            "127.0.0.1:5000/custom-jupyter-image:named-volume"
        );
        assert_eq!(
            reference(
                "docker.io/me/",
                "custom-jupyter-image:named-volume",
                Some("v1")
            )
            .unwrap(),
            "docker.io/me/custom-jupyter-image:v1"
        );
        assert_eq!(reference("r:5000", "a/b", None).unwrap(), "r:5000/b:latest");
        assert!(reference("https://r", "a", None)
            .unwrap_err()
            .to_string()
            .contains("--registry"));
        assert!(reference("r", "a", Some("Bad Tag")).is_err());
    }

    #[test]
    fn an_unreachable_registry_is_named_with_the_fix() {
        let refused = explain("The push refers to repository [127.0.0.1:1/a]\nGet \"http://127.0.0.1:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused\n", "127.0.0.1:1/a:b", "docker login");
        assert!(refused.starts_with("the registry 127.0.0.1:1 cannot be reached (Get ") && refused.ends_with("check its address in --registry (host[:port]) and that it runs, then run again"), "{refused}");
        let unknown = explain("Get \"https://r.invalid:5000/v2/\": dial tcp: lookup r.invalid on 10.0.0.53:53: no such host", "r.invalid:5000/a:b", "docker login");
        assert!(
            unknown.contains("the registry r.invalid:5000 cannot be reached")
                && unknown.contains("no such host"),
            "{unknown}"
        );
        let plain = explain(
            "Get \"https://r:5000/v2/\": http: server gave HTTP response to HTTPS client",
            "r:5000/a:b",
            "docker login",
        );
        assert!(plain.contains("insecure-registries"), "{plain}");
        assert!(explain(
            "unauthorized: authentication required",
            "r:5000/a:b",
            "docker login"
        )
        .contains("`docker login r:5000`"));
    }
}
