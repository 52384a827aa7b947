//! The sandbox: a real etcd cluster of local processes, with TLS from its own CA, laid out
//! like real hosts, and an emulated Kubernetes/OpenShift API server beside it. It is the
//! demo's cluster and the tests' harness. It depends on lifeboat (for its CA, etcd.conf and
//! etcd client); lifeboat never depends on it, and reaches it only as it reaches any cluster:
//! through `ETCDCTL_*`, `KUBECONFIG` and the process-cluster file that `lifeboat-sandbox env`
//! names (see `lifeboat::facts::ProcessCluster`).

pub mod cli;
mod image;
pub mod kube_api;
mod layout;
mod lifecycle;
mod ports;
mod state;

pub use lifeboat::pki;
// The product's detached-process helpers, under the name the sandbox's modules use.
use lifeboat::exec::detached as process;

pub use image::{binary_tar, ensure_etcd_image};
pub use lifecycle::{
    SandboxError, down, join_member, kill_member, start_member, stop_member, up, up_seeded,
    up_with_quota,
};
pub use process::{is_running, log_tail, spawn_etcd};
pub use state::{SandboxMember, SandboxState, default_dir};
