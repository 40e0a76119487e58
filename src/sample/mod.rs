//! The sample lab used by `labgrade demo` and by the tests: an image built locally from
//! the labgrade program itself and the small server it runs. Starting and removing its
//! labelled containers is IO, in [`crate::observe::containers`] (re-exported here).

pub mod frameworks;
pub mod image;
pub mod server;

pub use crate::observe::containers::{RunSpec, remove, remove_image, run};

/// A TCP port free on this machine right now (the kernel picks it).
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
