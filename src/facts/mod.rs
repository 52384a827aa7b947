//! What discovery finds out about the host and the cluster, before any planner runs.

pub mod certs;
mod docker_api;
mod etcd_conf;
pub mod host;
mod master_config;
mod tools;

pub use etcd_conf::EtcdConf;
pub use master_config::MasterEtcdClient;
pub use tools::Tools;
