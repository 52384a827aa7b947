//! Every procedure the TUI can open, with the words the palette finds it by.

/// What the menu, the palette and the member table open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    HealthCheck,
    ClusterBackup,
    ClusterRestore,
    DisasterRecovery,
    ReplaceMember,
    JoinMember,
    ProjectExport,
    ProjectRestore,
    BrowseBackup,
    AppData,
    SpaceRecovery,
    Defrag,
    QuorumRestore,
}

impl Entry {
    pub const ALL: [Entry; 13] = [
        Entry::HealthCheck,
        Entry::ClusterBackup,
        Entry::ClusterRestore,
        Entry::DisasterRecovery,
        Entry::ReplaceMember,
        Entry::JoinMember,
        Entry::ProjectExport,
        Entry::ProjectRestore,
        Entry::BrowseBackup,
        Entry::AppData,
        Entry::SpaceRecovery,
        Entry::Defrag,
        Entry::QuorumRestore,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Entry::HealthCheck => "Health check",
            Entry::ClusterBackup => "Cluster backup",
            Entry::ClusterRestore => "Cluster restore",
            Entry::DisasterRecovery => "Disaster recovery",
            Entry::ReplaceMember => "Replace a failed member",
            Entry::JoinMember => "Join as new member",
            Entry::ProjectExport => "Project export",
            Entry::ProjectRestore => "Project restore",
            Entry::BrowseBackup => "Browse a cluster backup",
            Entry::AppData => "Application data",
            Entry::SpaceRecovery => "Space recovery (NOSPACE)",
            Entry::Defrag => "Defragmentation",
            Entry::QuorumRestore => "Quorum restore",
        }
    }

    /// The palette's command, as typed after `:`.
    pub fn command(self) -> &'static str {
        match self {
            Entry::HealthCheck => "health",
            Entry::ClusterBackup => "backup",
            Entry::ClusterRestore => "restore",
            Entry::DisasterRecovery => "dr",
            Entry::ReplaceMember => "replace",
            Entry::JoinMember => "join",
            Entry::ProjectExport => "export",
            Entry::ProjectRestore => "import",
            Entry::BrowseBackup => "browse",
            Entry::AppData => "appdata",
            Entry::SpaceRecovery => "nospace",
            Entry::Defrag => "defrag",
            Entry::QuorumRestore => "quorum",
        }
    }

    /// Other words that find it.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Entry::HealthCheck => &["status", "check"],
            Entry::ClusterBackup => &["snapshot", "save"],
            Entry::ClusterRestore => &["recover"],
            Entry::DisasterRecovery => &["disaster", "restore-all"],
            Entry::ReplaceMember => &["member", "failed", "add"],
            Entry::JoinMember => &["member", "new-host"],
            Entry::ProjectExport => &["project", "namespace"],
            Entry::ProjectRestore => &["project", "restore-project"],
            Entry::BrowseBackup => &["undelete", "etcd-backup", "deleted"],
            Entry::AppData => &["volume", "pvc", "data"],
            Entry::SpaceRecovery => &["space", "quota", "alarm", "compact"],
            Entry::Defrag => &["defragment", "fragmentation"],
            Entry::QuorumRestore => &["survivor", "force-new-cluster"],
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Entry::HealthCheck => {
                "Members, per-member status and alarms, cross-checked with etcdctl."
            }
            Entry::ClusterBackup => {
                "Certificates, installation files, /etc/etcd and an etcd snapshot, as a sealed bundle; on this host or through docker exec."
            }
            Entry::ClusterRestore => {
                "A verified bundle, picked from the list, back into a single-member cluster, keeping what it replaces."
            }
            Entry::DisasterRecovery => {
                "Quorum lost for good: every member restored from one snapshot as a new cluster."
            }
            Entry::ReplaceMember => {
                "On a surviving host: remove the failed member, add its replacement, write the join bundle for the new host."
            }
            Entry::JoinMember => {
                "On the new host: unpack the join bundle, start etcd, wait until it has caught up."
            }
            Entry::ProjectExport => {
                "Projects exported over the API, cleaned so that they can be created again."
            }
            Entry::ProjectRestore => "A project recreated from its export, in an order that works.",
            Entry::BrowseBackup => {
                "A cluster backup's projects read out of its etcd snapshot, next to the live cluster; one brought back through the API, without rolling back the cluster."
            }
            Entry::AppData => {
                "A workload's volumes copied out of its running pod, or back into it."
            }
            Entry::SpaceRecovery => {
                "Database space exceeded: compact, defragment every member (leader last), disarm the alarm, prove a write works."
            }
            Entry::Defrag => {
                "The members whose file is at least 45% and 100 MB free space defragmented, leader last."
            }
            Entry::QuorumRestore => {
                "Quorum lost, one member's data current: a new one-member cluster forced from the survivor with the highest raft index, nothing it applied lost."
            }
        }
    }

    /// Whether `query` finds it: a prefix of its command or of an alias, or a word of its title.
    pub fn matches(self, query: &str) -> bool {
        let query = query.trim().trim_start_matches(':').to_ascii_lowercase();
        query.is_empty()
            || self.command().starts_with(&query)
            || self.aliases().iter().any(|a| a.starts_with(&query))
            || self.title().to_ascii_lowercase().contains(&query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(query: &str) -> Vec<Entry> {
        Entry::ALL
            .into_iter()
            .filter(|e| e.matches(query))
            .collect()
    }

    #[test]
    fn the_palette_finds_procedures_by_command_alias_or_title() {
        assert_eq!(found(":replace"), vec![Entry::ReplaceMember]);
        assert_eq!(found("join"), vec![Entry::JoinMember]);
        assert_eq!(
            found("back"),
            vec![Entry::ClusterBackup, Entry::BrowseBackup]
        );
        assert_eq!(found("browse"), vec![Entry::BrowseBackup]);
        assert_eq!(found("undelete"), vec![Entry::BrowseBackup]);
        assert_eq!(found("disaster"), vec![Entry::DisasterRecovery]);
        assert_eq!(
            found("member"),
            vec![Entry::ReplaceMember, Entry::JoinMember]
        );
        assert_eq!(found("").len(), Entry::ALL.len());
        assert!(found("zzz").is_empty());
        assert_eq!(found(":nospace"), vec![Entry::SpaceRecovery]);
        assert_eq!(found("defrag"), vec![Entry::Defrag]);
    }

    #[test]
    fn every_command_is_distinct() {
        let mut commands: Vec<&str> = Entry::ALL.iter().map(|e| e.command()).collect();
        commands.sort();
        commands.dedup();
        assert_eq!(commands.len(), Entry::ALL.len());
    }
}
