//! lifeboat: a terminal wizard for OpenShift/Kubernetes disaster recovery.
//!
//! Facts are discovered (`facts`, `connection`, `etcd`), planners turn them into plain-data
//! plans (`procedures`, `plan`), one runner executes plans through executors (`run`, `exec`),
//! and the TUI (`tui`) and CLI (`commands`) only render events and answer confirmations.

pub mod bundle;
pub mod cli;
pub mod commands;
pub mod config;
pub mod connection;
pub mod etcd;
pub mod exec;
pub mod facts;
pub mod fsutil;
pub mod gather;
pub mod health;
pub mod kube;
pub mod paths;
pub mod pki;
pub mod plan;
pub mod present;
pub mod procedures;
pub mod requests;
pub mod run;
pub mod serde_fields;
pub mod stored;
pub mod tui;
pub mod units;
