//! What discovery finds out about the host and the cluster, before any planner runs.

pub mod certs;
mod docker_api;
mod etcd_conf;
pub mod host;
mod master_config;
pub mod process_cluster;
mod tools;

pub use etcd_conf::EtcdConf;
pub use master_config::MasterEtcdClient;
pub use process_cluster::{PROCESS_CLUSTER_ENV, ProcessCluster, ProcessMember};
pub use tools::{RestoreAbilities, Tools};
