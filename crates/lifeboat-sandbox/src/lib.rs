//! The sandbox: a real etcd cluster of local processes, with TLS from its own CA, laid out
//! like real hosts, and an emulated Kubernetes/OpenShift API server beside it. It is the
//! demo's cluster and the tests' harness; lifeboat itself never depends on it.

mod image;
pub mod kube_api;
mod lifecycle;
pub use crate::pki;
mod ports;
mod process;
mod state;

pub use image::{binary_tar, ensure_etcd_image};
pub use lifecycle::{SandboxError, down, join_member, kill_member, start_member, stop_member, up};
pub use process::{is_running, log_tail, spawn_etcd};
pub use state::{SandboxMember, SandboxState};
