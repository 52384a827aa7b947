use std::path::PathBuf;

use super::{CommandLine, push};

/// `lifeboat member replace`, on a surviving host: which member failed and where its
/// replacement will run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberReplaceRequest {
    /// The failed member, by name or hex ID.
    pub failed: String,
    pub new_name: String,
    /// The new host's IP address or DNS name.
    pub new_host: String,
    pub client_port: u16,
    pub peer_port: u16,
    /// The directory the join bundle `NEW_NAME.tgz` is written into.
    pub out: PathBuf,
    /// Database size in bytes from which the new member joins as a learner.
    pub learner_threshold: u64,
    /// The etcd CA (ca.crt, ca.key); `None` uses /etc/etcd/ca.
    pub ca_dir: Option<PathBuf>,
    /// This surviving host's etcd.conf; `None` uses /etc/etcd/etcd.conf (or a surviving
    /// member's of the process cluster).
    pub etcd_conf: Option<PathBuf>,
    /// The process cluster the members belong to (`LIFEBOAT_PROCESS_CLUSTER`), for members
    /// run as plain processes by a supervisor such as `lifeboat-sandbox`.
    pub process_cluster: Option<PathBuf>,
}

pub const DEFAULT_CLIENT_PORT: u16 = 2379;
pub const DEFAULT_PEER_PORT: u16 = 2380;
/// The procedure's 700 MB rule, in the decimal megabytes etcd reports.
pub const DEFAULT_LEARNER_THRESHOLD: u64 = 700 * 1000 * 1000;

/// A size as `--learner-threshold` takes it: whole decimal units where they fit.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [
        (1000 * 1000 * 1000, "GB"),
        (1000 * 1000, "MB"),
        (1000, "KB"),
    ];
    UNITS
        .iter()
        .find(|(factor, _)| bytes >= *factor && bytes % factor == 0)
        .map_or_else(
            || bytes.to_string(),
            |(factor, unit)| format!("{}{unit}", bytes / factor),
        )
}

impl CommandLine for MemberReplaceRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["lifeboat".into(), "member".into(), "replace".into()];
        push(&mut argv, "--failed", &self.failed);
        push(&mut argv, "--new-name", &self.new_name);
        push(&mut argv, "--new-host", &self.new_host);
        if self.client_port != DEFAULT_CLIENT_PORT {
            push(&mut argv, "--client-port", self.client_port);
        }
        if self.peer_port != DEFAULT_PEER_PORT {
            push(&mut argv, "--peer-port", self.peer_port);
        }
        push(&mut argv, "--out", self.out.display());
        // Left out when it is what `member replace` would take anyway (lifeboat's settings).
        if self.learner_threshold != crate::config::current().learner_threshold.value {
            push(
                &mut argv,
                "--learner-threshold",
                format_size(self.learner_threshold),
            );
        }
        if let Some(dir) = &self.ca_dir {
            push(&mut argv, "--ca-dir", dir.display());
        }
        if let Some(conf) = &self.etcd_conf {
            push(&mut argv, "--etcd-conf", conf.display());
        }
        if let Some(file) = &self.process_cluster {
            push(&mut argv, "--process-cluster", file.display());
        }
        argv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_in_the_unit_they_were_typed_in() {
        assert_eq!(format_size(700_000_000), "700MB");
        assert_eq!(format_size(2_000_000_000), "2GB");
        assert_eq!(format_size(0), "0");
        assert_eq!(format_size(1_048_576), "1048576");
        for typed in ["700MB", "1GB", "1500KB", "0", "1048576"] {
            let bytes = crate::procedures::parse_size(typed).expect("a size");
            assert_eq!(
                crate::procedures::parse_size(&format_size(bytes)),
                Ok(bytes)
            );
        }
    }
}
