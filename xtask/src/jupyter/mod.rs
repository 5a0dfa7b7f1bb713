//! What a Jupyter server prints and answers: its URL in the log, `/api/status`, notebook errors,
//! and the layout of the project's Jupyter container.

pub mod http;
pub mod url;
