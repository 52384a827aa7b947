//! The command line, as clap reads it. Dispatch lives in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::connection::ConnectionFlags;
use crate::procedures::Procedure;

#[derive(Debug, Parser)]
#[command(
    name = "lifeboat",
    version,
    about = "etcd and OpenShift disaster recovery, one confirmed step at a time",
    long_about = "With no command, lifeboat opens the full-screen dashboard. Every procedure also \
                  runs headless: `lifeboat plan` prints it as a runbook, `lifeboat run` executes it."
)]
pub struct Cli {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Look, never touch: every step that is not read-only is refused [env: LIFEBOAT_READONLY]
    #[arg(long, global = true)]
    pub readonly: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// etcdctl's connection flags; the `ETCDCTL_*` variables are read when a flag is absent.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectionArgs {
    /// Comma-separated etcd client URLs [env: ETCDCTL_ENDPOINTS]
    #[arg(long, global = true, value_delimiter = ',')]
    pub endpoints: Option<Vec<String>>,
    /// CA certificate that signed the etcd servers' certificates [env: ETCDCTL_CACERT]
    #[arg(long, global = true)]
    pub cacert: Option<PathBuf>,
    /// Client certificate [env: ETCDCTL_CERT]
    #[arg(long, global = true)]
    pub cert: Option<PathBuf>,
    /// Client key [env: ETCDCTL_KEY]
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// A saved connection profile (`lifeboat profile list`)
    #[arg(long, global = true)]
    pub profile: Option<String>,
}

impl ConnectionArgs {
    pub fn flags(&self) -> ConnectionFlags {
        ConnectionFlags {
            endpoints: self.endpoints.clone(),
            cacert: self.cacert.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
            profile: self.profile.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cluster health for scripts; exit 0 healthy, 1 degraded, 2 quorum lost or unreachable
    Status {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Print a procedure as a Markdown runbook, running nothing
    Plan {
        procedure: Procedure,
        #[command(flatten)]
        placement: Placement,
    },
    /// Run a procedure headless, asking before each step unless --yes or --dry-run
    Run {
        procedure: Procedure,
        #[command(flatten)]
        placement: Placement,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
    /// Back up the cluster into a verifiable bundle
    Backup {
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// Restore from a bundle, keeping what it replaces
    Restore {
        #[command(subcommand)]
        command: RestoreCommand,
    },
    /// Application data: a workload's volumes copied out of and back into its running pod
    Appdata {
        #[command(subcommand)]
        command: AppDataCommand,
    },
    /// Project export and restore over the Kubernetes API (the kubeconfig of KUBECONFIG)
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Kubernetes objects read straight out of an etcd snapshot (a cluster backup, a .db
    /// file or a stopped member's data directory): list, show, compare, export one project
    Snapshot {
        #[command(subcommand)]
        command: SnapshotCommand,
    },
    /// Member recovery: replace a failed etcd host without downtime
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Space maintenance: recover from the NOSPACE alarm, defragment members
    Maintenance {
        #[command(subcommand)]
        command: MaintenanceCommand,
    },
    /// Re-check a bundle: every file's size and SHA-256, and the snapshot's own hash
    Verify { bundle: PathBuf },
    /// Saved connection settings
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// lifeboat's own settings (config.toml, LIFEBOAT_* variables, flags)
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the shell completion script: `source <(lifeboat completions bash)`
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), made from these same definitions
    #[command(hide = true)]
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// The effective settings and where each came from (default, file, environment, flag)
    Show,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// Where commands of a procedure run.
#[derive(Debug, Args, Clone, Default)]
pub struct Placement {
    /// Run etcdctl inside this container with `docker exec` (container-based installs)
    #[arg(long, value_name = "CONTAINER")]
    pub docker: Option<String>,
}

#[derive(Debug, Args, Clone, Copy, Default)]
pub struct ConfirmArgs {
    /// Run every step without asking
    #[arg(long, conflicts_with = "dry_run")]
    pub yes: bool,
    /// Show every step, run none
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Master certificates and keys, installation files, /etc/etcd and etcd itself
    Cluster(BackupClusterArgs),
}

#[derive(Debug, Args, Clone)]
pub struct BackupClusterArgs {
    /// The bundle directory to create (must not exist)
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = crate::procedures::BackupMethod::Snapshot)]
    pub method: crate::procedures::BackupMethod,
    /// The etcd data directory for --method datadir [default: from etcd.conf, else /var/lib/etcd]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Stop etcd around a datadir backup (and start it again after, whatever happens)
    #[arg(long)]
    pub stop_etcd: bool,
    #[arg(long, default_value = "/etc/origin/master")]
    pub master_dir: PathBuf,
    #[arg(long, default_value = "/etc/etcd")]
    pub etcd_config_dir: PathBuf,
    #[command(flatten)]
    pub placement: Placement,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl BackupClusterArgs {
    /// The choices of these flags, as the TUI's form would make them.
    pub fn request(&self) -> crate::requests::ClusterBackupRequest {
        crate::requests::ClusterBackupRequest {
            out: self.out.clone(),
            method: self.method,
            data_dir: self.data_dir.clone(),
            stop_etcd: self.stop_etcd,
            master_dir: self.master_dir.clone(),
            etcd_config_dir: self.etcd_config_dir.clone(),
            container: self.placement.docker.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RestoreCommand {
    /// Certificates and keys, then etcd, from a cluster backup bundle (single-member clusters;
    /// --disaster-recovery for every member of a larger one)
    Cluster(RestoreClusterArgs),
    /// Quorum lost for good, one member's data current: force a new one-member cluster from
    /// the survivor with the highest raft index, then add the others back
    Quorum(RestoreQuorumArgs),
}

#[derive(Debug, Args, Clone)]
pub struct RestoreQuorumArgs {
    /// The survivor to keep [default: the voting member with the highest raft index]
    #[arg(long, value_name = "NAME")]
    pub member: Option<String>,
    /// The survivor's etcd configuration [default: /etc/etcd/etcd.conf, or its member's of
    /// LIFEBOAT_PROCESS_CLUSTER]
    #[arg(long)]
    pub etcd_conf: Option<PathBuf>,
    /// Ask line by line on the terminal instead of opening the full-screen wizard
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl RestoreQuorumArgs {
    pub fn request(&self) -> crate::requests::QuorumRestoreRequest {
        crate::requests::QuorumRestoreRequest {
            member: self.member.clone(),
            etcd_conf: self.etcd_conf.clone(),
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct RestoreClusterArgs {
    /// The bundle made by `lifeboat backup cluster`
    #[arg(long = "from", value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// The etcd data directory [default: ETCD_DATA_DIR of etcd.conf, else /var/lib/etcd]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// etcd's configuration [default: /etc/etcd/etcd.conf, or the members' of LIFEBOAT_PROCESS_CLUSTER]
    #[arg(long)]
    pub etcd_conf: Option<PathBuf>,
    /// Where the certificates and keys go back
    #[arg(long, default_value = "/etc/origin/master")]
    pub master_dir: PathBuf,
    /// Restore every member of a multi-member cluster from this one snapshot as a new cluster:
    /// etcd's disaster-recovery path, for when quorum is lost for good
    #[arg(long)]
    pub disaster_recovery: bool,
    /// Ask line by line on the terminal instead of opening the full-screen wizard
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub placement: Placement,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl RestoreClusterArgs {
    pub fn request(&self) -> crate::requests::ClusterRestoreRequest {
        crate::requests::ClusterRestoreRequest {
            bundle: self.bundle.clone(),
            data_dir: self.data_dir.clone(),
            etcd_conf: self.etcd_conf.clone(),
            master_dir: self.master_dir.clone(),
            disaster_recovery: self.disaster_recovery,
            container: self.placement.docker.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// `mvcc: database space exceeded`: compact, defragment every member (leader last), disarm
    /// the alarm, prove a write works
    Nospace(MaintenanceArgs),
    /// Defragment the members that are at least 45% and 100 MB free space, leader last
    Defrag(DefragArgs),
}

#[derive(Debug, Args, Clone)]
pub struct MaintenanceArgs {
    /// Ask line by line on the terminal instead of opening the full-screen wizard
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Args, Clone)]
pub struct DefragArgs {
    /// Defragment this member only, whatever its free space
    #[arg(long, value_name = "NAME")]
    pub member: Option<String>,
    #[command(flatten)]
    pub common: MaintenanceArgs,
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// On a surviving host: remove the failed member, add the new one, write its join bundle
    Replace(MemberReplaceArgs),
    /// On the new host: open the ports, unpack the join bundle, start etcd, wait until caught up
    Join(MemberJoinArgs),
    /// Promote a learner to a voting member once it has caught up
    Promote(MemberPromoteArgs),
}

#[derive(Debug, Args, Clone)]
pub struct MemberPromoteArgs {
    /// The learner, by name or hex ID
    #[arg(value_name = "NAME|ID")]
    pub member: String,
    /// Seconds to wait for it to catch up
    #[arg(long, default_value_t = 300)]
    pub wait_timeout: u64,
    /// Ask line by line on the terminal instead of opening the full-screen wizard
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

fn size(text: &str) -> Result<u64, String> {
    crate::procedures::parse_size(text)
}

#[derive(Debug, Args, Clone)]
pub struct MemberReplaceArgs {
    /// The failed member, by name or hex ID (as `etcdctl member list` prints it)
    #[arg(long, value_name = "NAME|ID")]
    pub failed: String,
    /// The new host's member name (CN of its certificates, ETCD_NAME)
    #[arg(long)]
    pub new_name: String,
    /// The new host's IP address or DNS name
    #[arg(long, value_name = "IP_OR_DNS")]
    pub new_host: String,
    #[arg(long, default_value_t = 2379)]
    pub client_port: u16,
    #[arg(long, default_value_t = 2380)]
    pub peer_port: u16,
    /// Directory the join bundle NAME.tgz is written into
    #[arg(long)]
    pub out: PathBuf,
    /// Database size from which the new member joins as a learner (or, where `etcdctl backup`
    /// keeps the cluster ID, with a data copy): the procedure's 700 MB rule
    /// [default: learner_threshold of `lifeboat config show`, 700MB]
    #[arg(long, value_parser = size)]
    pub learner_threshold: Option<u64>,
    /// The etcd CA (ca.crt and ca.key) [default: /etc/etcd/ca, or the process cluster's]
    #[arg(long)]
    pub ca_dir: Option<PathBuf>,
    /// This surviving host's etcd.conf [default: /etc/etcd/etcd.conf, or a surviving process-cluster member's]
    #[arg(long)]
    pub etcd_conf: Option<PathBuf>,
    /// Replace a member of the process cluster this file describes (members run as plain
    /// processes by a supervisor, e.g. `lifeboat-sandbox`)
    #[arg(long, env = "LIFEBOAT_PROCESS_CLUSTER")]
    pub process_cluster: Option<PathBuf>,
    /// Ask line by line on the terminal instead of opening the full-screen wizard
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl MemberReplaceArgs {
    pub fn request(&self) -> crate::requests::MemberReplaceRequest {
        crate::requests::MemberReplaceRequest {
            failed: self.failed.clone(),
            new_name: self.new_name.clone(),
            new_host: self.new_host.clone(),
            client_port: self.client_port,
            peer_port: self.peer_port,
            out: self.out.clone(),
            learner_threshold: self
                .learner_threshold
                .unwrap_or(crate::config::current().learner_threshold.value),
            ca_dir: self.ca_dir.clone(),
            etcd_conf: self.etcd_conf.clone(),
            process_cluster: self.process_cluster.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StartWith {
    /// systemctl enable etcd --now
    Systemd,
    /// systemctl enable etcd_container --now (OpenShift 3 containerized etcd)
    Container,
    /// A detached etcd process with etcd.conf as its environment (no systemd, e.g. a container)
    Process,
}

#[derive(Debug, Args, Clone)]
pub struct MemberJoinArgs {
    /// The join bundle written by `lifeboat member replace`
    #[arg(long)]
    pub bundle: PathBuf,
    /// Join the process cluster this file describes, started by its supervisor (instead of
    /// /etc/etcd and systemd)
    #[arg(long, conflicts_with_all = ["start", "etc_dir"])]
    pub process_cluster: Option<PathBuf>,
    /// How to start etcd [default: systemd when the host runs it]
    #[arg(long, value_enum)]
    pub start: Option<StartWith>,
    /// Where etcd's configuration and certificates go
    #[arg(long, default_value = "/etc/etcd")]
    pub etc_dir: PathBuf,
    /// Seconds to wait for the new member to catch up (and to be promoted)
    #[arg(long, default_value_t = 300)]
    pub wait_timeout: u64,
    /// Ask line by line on the terminal instead of opening the full-screen wizard
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl MemberJoinArgs {
    pub fn request(&self) -> crate::requests::MemberJoinRequest {
        use crate::requests::JoinStartChoice;
        crate::requests::MemberJoinRequest {
            bundle: self.bundle.clone(),
            start: self.start.map(|s| match s {
                StartWith::Systemd => JoinStartChoice::Systemd,
                StartWith::Container => JoinStartChoice::Container,
                StartWith::Process => JoinStartChoice::Process,
            }),
            etc_dir: self.etc_dir.clone(),
            wait_timeout_secs: self.wait_timeout,
            process_cluster: self.process_cluster.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Save the connection given by flags or ETCDCTL_* variables under NAME
    Save { name: String },
    /// List saved profiles
    List,
    /// Delete a saved profile
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum AppDataCommand {
    /// Copy the workload's volumes out of its running pod into a sealed bundle
    Backup(AppDataBackupArgs),
    /// Verify a bundle, copy it into the workload's running pod, then restart it
    Restore(AppDataRestoreArgs),
    /// The workloads of a project with their volumes, mount paths and claims
    List {
        /// The project (namespace)
        #[arg(short = 'n', long)]
        namespace: String,
    },
}

/// Which workload, and which of its volumes.
#[derive(Debug, Args, Clone)]
pub struct AppDataSelection {
    /// The project (namespace)
    #[arg(short = 'n', long)]
    pub namespace: String,
    /// dc/NAME (a DeploymentConfig) or deployment/NAME
    #[arg(long)]
    pub workload: String,
    /// A volume to copy, by its name in the pod spec (repeatable) [default: every volume backed
    /// by a PersistentVolumeClaim]
    #[arg(long = "volume", value_name = "NAME")]
    pub volumes: Vec<String>,
}

#[derive(Debug, Args, Clone)]
pub struct AppDataBackupArgs {
    #[command(flatten)]
    pub selection: AppDataSelection,
    /// The bundle directory to create (must not exist)
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Export projects, cleaned so that they can be created again, one folder each
    Export(ProjectExportArgs),
    /// Recreate a project from its export, in an order that works
    Restore(ProjectRestoreArgs),
}

#[derive(Debug, Args)]
pub struct ProjectExportArgs {
    /// The projects (namespaces) to export
    #[arg(required = true, value_name = "PROJECT")]
    pub projects: Vec<String>,
    /// Where the exports go: one folder per project, DIR/PROJECT
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only these kinds (`deployments`, `deployments.apps`, `Deployment`); by default every
    /// listable kind except those the cluster regenerates
    #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
    pub kinds: Option<Vec<String>>,
    /// Leave secrets out (no secret.yaml)
    #[arg(long)]
    pub no_secrets: bool,
    /// Print line by line on the terminal instead of opening the full-screen wizard
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl AppDataSelection {
    pub fn request(&self) -> crate::requests::AppDataSelection {
        crate::requests::AppDataSelection {
            namespace: self.namespace.clone(),
            workload: self.workload.clone(),
            volumes: self.volumes.clone(),
        }
    }
}

impl AppDataBackupArgs {
    pub fn request(&self) -> crate::requests::AppDataBackupRequest {
        crate::requests::AppDataBackupRequest {
            selection: self.selection.request(),
            out: self.out.clone(),
        }
    }
}

impl AppDataRestoreArgs {
    pub fn request(&self) -> crate::requests::AppDataRestoreRequest {
        crate::requests::AppDataRestoreRequest {
            selection: self.selection.request(),
            bundle: self.bundle.clone(),
            restart: self.restart,
            timeout_secs: self.timeout,
        }
    }
}

impl ProjectExportArgs {
    pub fn request(&self) -> crate::requests::ProjectExportRequest {
        crate::requests::ProjectExportRequest {
            projects: self.projects.clone(),
            out: self.out.clone(),
            kinds: self.kinds.clone(),
            secrets: !self.no_secrets,
        }
    }
}

impl ProjectRestoreArgs {
    pub fn request(&self) -> crate::requests::ProjectRestoreRequest {
        crate::requests::ProjectRestoreRequest {
            from: self.from.clone(),
            rename: self.rename.clone(),
            existing: self.existing,
            preview: self.preview,
            dry_run: self.dry_run,
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct AppDataRestoreArgs {
    #[command(flatten)]
    pub selection: AppDataSelection,
    /// The bundle made by `lifeboat appdata backup`
    #[arg(long = "from", value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// How to restart the application after the copy
    #[arg(long, value_enum, default_value_t = crate::plan::RestartHow::Delete)]
    pub restart: crate::plan::RestartHow,
    /// Seconds to wait for the restarted pod to be ready
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Args)]
pub struct ProjectRestoreArgs {
    /// The export of one project, DIR/PROJECT as `project export` wrote it
    #[arg(long = "from", value_name = "DIR")]
    pub from: PathBuf,
    /// Restore into this project instead of the exported one's name
    #[arg(long = "as", value_name = "NEW_NAME")]
    pub rename: Option<String>,
    /// What to do with objects that already exist
    #[arg(long, value_enum, default_value_t = crate::kube::ExistingPolicy::Skip)]
    pub existing: crate::kube::ExistingPolicy,
    /// Check every object with a server-side dry run before creating any
    #[arg(long)]
    pub preview: bool,
    /// Run every step without asking
    #[arg(long, conflicts_with = "dry_run")]
    pub yes: bool,
    /// Only a server-side dry run of the project and every object: nothing is created
    #[arg(long)]
    pub dry_run: bool,
    /// Print line by line on the terminal instead of opening the full-screen wizard
    #[arg(long)]
    pub headless: bool,
}

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Projects with their object counts per kind, or with --namespace/--kind the objects
    Ls(SnapshotLsArgs),
    /// One object as the API server would return it
    Get(SnapshotGetArgs),
    /// One project as a project export, which `lifeboat project restore --from` takes
    Export(SnapshotExportArgs),
    /// Per project: objects only in the backup, only live, and changed since (exit 1 when
    /// anything differs)
    Diff {
        /// A cluster backup, a .db snapshot or a stopped member's data directory
        source: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct SnapshotLsArgs {
    /// A cluster backup, a .db snapshot or a stopped member's data directory
    pub source: PathBuf,
    /// List this project's objects
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// Only objects of this kind (`ConfigMap`, `configmaps`)
    #[arg(long)]
    pub kind: Option<String>,
}

#[derive(Debug, Args)]
pub struct SnapshotGetArgs {
    /// A cluster backup, a .db snapshot or a stopped member's data directory
    pub source: PathBuf,
    /// The etcd key, or KIND/NAME (`configmap/settings`) with --namespace
    pub object: String,
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    #[arg(long, short = 'o', value_enum, default_value_t = ObjectFormat::Yaml)]
    pub output: ObjectFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectFormat {
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct SnapshotExportArgs {
    /// A cluster backup, a .db snapshot or a stopped member's data directory
    pub source: PathBuf,
    /// The project to bring back
    #[arg(long, short = 'n')]
    pub namespace: String,
    /// Where the export goes: DIR/NAMESPACE, as `project export` lays it out
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Export objects with fields newer than lifeboat's schemas, without those fields
    #[arg(long)]
    pub accept_unknown_fields: bool,
    /// Print line by line on the terminal instead of opening the full-screen wizard
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl SnapshotExportArgs {
    pub fn request(&self) -> crate::requests::SnapshotExportRequest {
        crate::requests::SnapshotExportRequest {
            source: self.source.clone(),
            namespace: self.namespace.clone(),
            out: self.out.clone(),
            accept_unknown_fields: self.accept_unknown_fields,
        }
    }
}
