//! Tutorials read from their own Markdown (Linode docs' Hugo format): steps, files and expected
//! outputs, replayed as written and compared with what the engine printed.
