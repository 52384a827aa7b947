//! What discovery finds out about the host and the cluster, before any planner runs.

mod etcd_conf;
mod master_config;
mod tools;

pub use etcd_conf::EtcdConf;
pub use master_config::MasterEtcdClient;
pub use tools::Tools;
