use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a command runs. Arguments stay an array all the way to the process: nothing is ever
/// spliced into a shell line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Target {
    /// This host, as the user running lifeboat.
    Local,
    /// Inside a running container, through `docker exec` (container-based installs).
    DockerExec { container: String },
}

/// A program to run with its arguments and extra environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandSpec {
    pub target: Target,
    pub argv: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
    /// Stop waiting after this many seconds and fail the step, for commands that can block
    /// forever (a lock held by a running etcd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Arguments that take a value an earlier step produces, by position in `argv`: the argv
    /// shows the value's placeholder until the runner fills it from that step's typed output.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fills: Vec<(usize, StepValue)>,
}

/// A value one step produces for a later one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepValue {
    /// The ID etcd gave the member an earlier `MemberAdd` added, in hex as etcdctl prints it.
    NewMemberId,
}

impl StepValue {
    /// How the value reads in a plan that has not run: the procedure's own shell variable.
    pub fn placeholder(self) -> &'static str {
        match self {
            StepValue::NewMemberId => "${NODE_ID}",
        }
    }
}

impl CommandSpec {
    pub fn local<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandSpec {
            target: Target::Local,
            argv: argv.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            timeout_secs: None,
            fills: Vec::new(),
        }
    }

    /// Marks every argument that is `value`'s placeholder as filled from it when the step runs.
    pub fn filled_from(mut self, value: StepValue) -> Self {
        let positions: Vec<usize> = self
            .argv
            .iter()
            .enumerate()
            .filter(|(_, arg)| *arg == value.placeholder())
            .map(|(at, _)| at)
            .collect();
        self.fills
            .extend(positions.into_iter().map(|at| (at, value)));
        self
    }

    pub fn on(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    pub fn with_timeout(mut self, seconds: u64) -> Self {
        self.timeout_secs = Some(seconds);
        self
    }

    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// Calls lifeboat makes natively over etcd's v3 gRPC API rather than by running `etcdctl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "kebab-case")]
pub enum EtcdCall {
    MemberList,
    /// Status of every member's client URL, one connection each, like
    /// `etcdctl endpoint status --cluster`.
    EndpointStatus,
    AlarmList,
    /// Every member's status and the quorum verdict; fails when removing `remove` (when given)
    /// would cost quorum, which is re-checked here because the cluster may have changed since
    /// the plan was made.
    QuorumCheck {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remove: Option<u64>,
    },
    /// Every reachable member's raft index; fails when quorum holds after all (a member came
    /// back since the plan was made), because forcing a new cluster then would split it.
    QuorumLostCheck {
        survivor: String,
    },
    /// `member remove`, refused at run time too if it would lose quorum.
    MemberRemove {
        id: u64,
        name: String,
    },
    /// `member add`, as a non-voting learner when `learner`. The new member's ID is a typed
    /// output later steps take ([`StepValue::NewMemberId`]).
    MemberAdd {
        name: String,
        peer_urls: Vec<String>,
        learner: bool,
    },
    /// Polls until the member at `client_url` answers and its applied raft index has reached
    /// the leader's, reporting progress; fails after `timeout_secs`.
    WaitCaughtUp {
        name: String,
        client_url: String,
        timeout_secs: u64,
    },
    /// `member promote` of the learner called `name`, retried while etcd says it is not yet in
    /// sync with the leader.
    MemberPromote {
        name: String,
        timeout_secs: u64,
    },
    /// `compact` to the current revision, physically: the history before it is dropped, so a
    /// defragmentation has space to give back.
    Compact,
    /// `defrag` of the one member called `name` at `client_url`; it blocks that member while
    /// it rewrites its file. Reports the file's size before and after.
    Defragment {
        name: String,
        client_url: String,
    },
    /// `alarm disarm`: every raised alarm (NOSPACE) cleared.
    AlarmDisarm,
    /// A key put and deleted again, proving the cluster takes writes.
    TestWrite,
}

impl EtcdCall {
    /// The `etcdctl` subcommand that does the same, for runbooks and for engineers who want to
    /// check by hand.
    pub fn etcdctl_equivalent(&self) -> Vec<String> {
        let words = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        match self {
            EtcdCall::MemberList => words(&["member", "list", "-w", "table"]),
            EtcdCall::EndpointStatus
            | EtcdCall::QuorumCheck { .. }
            | EtcdCall::QuorumLostCheck { .. } => {
                words(&["endpoint", "status", "--cluster", "-w", "table"])
            }
            EtcdCall::AlarmList => words(&["alarm", "list"]),
            EtcdCall::MemberRemove { id, .. } => {
                // The ID in hex, as etcdctl prints it (etcd::format_id; plan imports no client).
                words(&["member", "remove", &format!("{id:x}")])
            }
            EtcdCall::MemberAdd {
                name,
                peer_urls,
                learner,
            } => {
                let mut argv = words(&["member", "add", name]);
                argv.push(format!("--peer-urls={}", peer_urls.join(",")));
                if *learner {
                    argv.push("--learner".into());
                }
                argv
            }
            EtcdCall::WaitCaughtUp { client_url, .. } => {
                let mut argv = words(&["endpoint", "status", "-w", "table"]);
                argv.insert(0, format!("--endpoints={client_url}"));
                argv
            }
            EtcdCall::MemberPromote { .. } => {
                words(&["member", "promote", StepValue::NewMemberId.placeholder()])
            }
            EtcdCall::Compact => words(&["compact", "${REVISION}", "--physical"]),
            EtcdCall::Defragment { client_url, .. } => {
                vec![format!("--endpoints={client_url}"), "defrag".into()]
            }
            EtcdCall::AlarmDisarm => words(&["alarm", "disarm"]),
            EtcdCall::TestWrite => words(&["put", "/lifeboat/write-test", "ok"]),
        }
    }
}

/// How a new etcd member is started where there is no `systemctl` to do it (a supervisor of
/// plain processes is asked with an ordinary [`Action::Run`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "kebab-case")]
pub enum EtcdStart {
    /// A detached etcd process with the configuration file's assignments as its environment,
    /// as systemd's unit would start it (hosts and containers without systemd).
    Process { conf: PathBuf, log: PathBuf },
}

/// The domains actions are grouped in; each domain's description and execution live together
/// in `run::actions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Native etcd calls: membership, status, snapshots, waits.
    Etcd,
    /// Files and archives: bundles, certificates, configuration, data directories.
    Files,
    /// Commands through an executor, detached processes, and manual or skipped steps.
    Command,
    /// Project export and restore over the Kubernetes API.
    Kube,
    /// Application data copied through a pod's exec stream.
    AppData,
}

/// What a step does. Every variant is data, so a plan can be printed, diffed and tested
/// without running it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Action {
    Run(CommandSpec),
    Etcd(EtcdCall),
    /// Something only a person can do (reinstall a host, call the storage team); the runner
    /// asks for each item to be confirmed as done.
    Manual {
        checklist: Vec<String>,
    },
    /// Nothing to do on this host; the step stays in the plan so the reason is seen.
    Skip {
        reason: String,
    },
    /// Creates the directory a bundle is assembled in; fails if it or the finished bundle
    /// already exists.
    PrepareBundle {
        staging: PathBuf,
        out: PathBuf,
    },
    /// `tar cf to -C base entries...`, written natively, the archive created with `mode`.
    Archive {
        base: PathBuf,
        entries: Vec<PathBuf>,
        to: PathBuf,
        mode: u32,
    },
    /// Streams a v3 snapshot from one member to a file.
    EtcdSnapshot {
        endpoint: String,
        to: PathBuf,
        expected_size: Option<u64>,
    },
    /// Hashes every file, writes `manifest.json`, syncs and renames the staging directory.
    SealBundle {
        staging: PathBuf,
        out: PathBuf,
        identity: crate::bundle::BundleIdentity,
    },
    /// Removes an unfinished staging directory, so nothing half-written is left behind.
    DiscardStaging {
        staging: PathBuf,
    },
    /// Reads a snapshot's revision and entry count from its bbolt pages, as `etcdctl snapshot
    /// status` reports them, without loading the file.
    ReadSnapshotBack {
        file: PathBuf,
    },
    /// Re-checks a bundle as `lifeboat verify` does; fails on any mismatch.
    VerifyBundle {
        bundle: PathBuf,
    },
    /// Extracts a tar into `into`, refusing entries that would land outside it, after saving
    /// every file it would overwrite into the archive `keep_old` (mode 0600).
    RestoreArchive {
        archive: PathBuf,
        into: PathBuf,
        keep_old: PathBuf,
    },
    /// Polls until every client URL is down (nothing accepts connections) or every member is
    /// healthy with one leader, or the timeout passes.
    WaitForEtcd {
        endpoints: Vec<String>,
        until: EtcdState,
        timeout_secs: u64,
    },
    /// Renames a directory aside; fails rather than overwrite `to`. Never deletes anything.
    MoveAside {
        from: PathBuf,
        to: PathBuf,
    },
    /// Sets (`Some`) or removes (`None`) one assignment in an `etcd.conf`, written atomically.
    SetConfValue {
        conf: PathBuf,
        key: String,
        value: Option<String>,
    },
    /// Reads the live revision and key count and compares them with what the bundle holds.
    CompareWithBundle {
        revision: i64,
        keys: Option<u64>,
    },
    /// Writes `contents` to `path` (through a temporary file), created with `mode`.
    WriteFile {
        path: PathBuf,
        contents: String,
        mode: u32,
    },
    /// Signs a server and a peer certificate for a new etcd host with the CA in `ca_dir`
    /// (`ca.crt`, `ca.key`), and writes them with `ca.crt` into `out_dir`; keys 0600.
    IssueCertificates {
        ca_dir: PathBuf,
        common_name: String,
        sans: Vec<String>,
        out_dir: PathBuf,
    },
    /// `tar czf to -C dir .`, written natively, the archive created 0600.
    PackDirectory {
        dir: PathBuf,
        to: PathBuf,
    },
    /// Extracts a gzipped tar into `into`, refusing the whole archive if any entry would land
    /// outside it.
    ExtractBundle {
        bundle: PathBuf,
        into: PathBuf,
    },
    /// `rm -rf path`, when it exists.
    RemoveDir {
        path: PathBuf,
    },
    StartEtcd(EtcdStart),
    /// Application data: copies through a pod's exec stream, and the restart after a restore.
    AppData(super::AppDataAction),
    /// Lists every kind of `kinds` in `namespace`, cleans each object (`kube::clean`) and
    /// writes the procedure's files with a manifest into the bundle `out` (assembled as
    /// `OUT.partial`, removed on failure). Progress per kind.
    ExportProject {
        namespace: String,
        kinds: Vec<crate::kube::KindRef>,
        /// Kinds left out, with the reason, for the manifest.
        excluded: std::collections::BTreeMap<String, String>,
        secrets: bool,
        out: PathBuf,
    },
    /// Reads the project `namespace` out of the etcd snapshot `source` (a bundle, a `.db`
    /// file or a data directory) and writes it as a project export at `out`, cleaned like
    /// `ExportProject`'s, its manifest naming the snapshot and its revision.
    ExportFromSnapshot {
        source: PathBuf,
        namespace: String,
        out: PathBuf,
        accept_unknown_fields: bool,
    },
    /// Creates a project: a `ProjectRequest` on OpenShift, a `Namespace` elsewhere, with the
    /// export's display name and description. One that exists already is not a failure.
    CreateProject {
        name: String,
        annotations: std::collections::BTreeMap<String, String>,
        openshift: bool,
        dry_run: bool,
    },
    /// Creates every object of the export `from` in `target` (renamed from `source` when they
    /// differ), in dependency order, one at a time; fails when any object really failed.
    RestoreObjects {
        from: PathBuf,
        source: String,
        target: String,
        existing: crate::kube::ExistingPolicy,
        dry_run: bool,
    },
}

/// What [`Action::WaitForEtcd`] waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EtcdState {
    /// No client URL accepts a connection: the processes are really gone.
    Down,
    /// Every client URL answers its status and all agree on one leader.
    Healthy,
}

/// How a step proves it worked, checked by the runner after the action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "kebab-case")]
pub enum Check {
    /// The command exited with status 0.
    ExitSuccess,
    /// Every listed member has started (has a name) and none is missing client URLs.
    MembersStarted,
    /// Every member answered on its client URL and exactly one leader is seen.
    EndpointsHealthy,
    /// No member has a raised alarm (NOSPACE, CORRUPT).
    NoAlarms,
    /// The person confirmed every checklist item.
    Confirmed,
    /// The native action reported success (it fails loudly otherwise).
    Completed,
    /// etcd's own trailing SHA-256 matches the snapshot's data.
    SnapshotHash,
    /// `etcdctl snapshot status -w json` reads a revision and at least one key from the file.
    SnapshotStatus,
    /// A majority of the voting members answers.
    QuorumHolds,
}

impl Check {
    pub fn describe(&self) -> &'static str {
        match self {
            Check::ExitSuccess => "the command exits with status 0",
            Check::MembersStarted => "every member has started and advertises client URLs",
            Check::EndpointsHealthy => "every member answers and exactly one leader is seen",
            Check::NoAlarms => "no alarm is raised on any member",
            Check::Confirmed => "every item is confirmed done",
            Check::Completed => "the action completes without error",
            Check::SnapshotHash => "etcd's trailing SHA-256 matches the snapshot's data",
            Check::SnapshotStatus => "a revision and the keys are read back from the file",
            Check::QuorumHolds => "a majority of the voting members answers",
        }
    }
}

impl Action {
    /// The domain that describes and executes this action.
    pub fn domain(&self) -> Domain {
        match self {
            Action::Etcd(_)
            | Action::EtcdSnapshot { .. }
            | Action::WaitForEtcd { .. }
            | Action::CompareWithBundle { .. }
            | Action::ReadSnapshotBack { .. } => Domain::Etcd,
            Action::PrepareBundle { .. }
            | Action::Archive { .. }
            | Action::SealBundle { .. }
            | Action::DiscardStaging { .. }
            | Action::WriteFile { .. }
            | Action::IssueCertificates { .. }
            | Action::PackDirectory { .. }
            | Action::ExtractBundle { .. }
            | Action::RemoveDir { .. }
            | Action::VerifyBundle { .. }
            | Action::RestoreArchive { .. }
            | Action::MoveAside { .. }
            | Action::SetConfValue { .. } => Domain::Files,
            Action::Run(_) | Action::StartEtcd(_) | Action::Manual { .. } | Action::Skip { .. } => {
                Domain::Command
            }
            Action::ExportProject { .. }
            | Action::ExportFromSnapshot { .. }
            | Action::CreateProject { .. }
            | Action::RestoreObjects { .. } => Domain::Kube,
            Action::AppData(_) => Domain::AppData,
        }
    }
}
