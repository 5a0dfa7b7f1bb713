//! What a Jupyter server prints and answers: its URL in the log, `/api/status`, notebook errors,
//! and the layout of the project's Jupyter container (below: its names, mounts and labels).

pub mod http;
pub mod layout;
pub mod notebook;
pub mod server;
pub mod token;
pub mod tunnel;
pub mod url;

/// The image `up` runs by default: the series' image made for a named volume.
pub const DEFAULT_IMAGE: &str = "custom-jupyter-image:named-volume";
/// The container's name, as the tutorial calls it.
pub const DEFAULT_NAME: &str = "custom-jupyter-container";
/// The named volume for the outputs, as the tutorial calls it.
pub const DEFAULT_VOLUME: &str = "named-data-volume";
/// Where the notebooks are mounted, and where the notebook's relative `outputs/` lands.
pub const WORKDIR: &str = "/work";
pub const OUTPUTS: &str = "/work/outputs";
/// The port the server listens on inside the container.
pub const PORT: u16 = 8888;
/// On the container: the named volume mounted at [`OUTPUTS`] (for `status` and `down`).
pub const VOLUME_LABEL_KEY: &str = "jupyter-docker-xtask.volume";
/// Seconds to wait for a starting server's URL, unless told otherwise.
pub const START_TIMEOUT_SECS: u64 = 120;
/// Set by `cargo xtask bench`: `up` then says on stderr when it read the URL line (Unix seconds),
/// so the bench can compare it with the line's `docker logs -t` timestamp.
pub const MARK_URL_ENV: &str = "JUPYTER_DOCKER_XTASK_MARK_URL";
