//! A thin layer over `etcd-client`: connecting with the engineer's TLS files, and the cluster
//! facts every screen needs (members, per-endpoint status, alarms, quorum).

mod bolt;
mod bolt_keys;
mod client;
mod consistency;
mod keys;
mod maintenance;
mod membership;
mod quorum;
mod snapshot;
mod snapshot_file;
mod snapshot_writer;
mod status;
mod stream_digest;

pub use bolt::{BoltError, BoltStats, read_stats};
pub use bolt_keys::{KeyValue, LiveKey, SnapshotKeys, parse_key_value};
pub use client::{EtcdError, connect};
pub use consistency::{
    Consistency, ConsistencyReport, KvHash, MemberHash, check_consistency, judge,
};
pub use keys::count_keys;
pub use maintenance::{
    DEFRAG_TIMEOUT, Defragmented, TEST_WRITE_KEY, compact_to_current, defragment, disarm_alarms,
    test_write,
};
pub use membership::{add_member, promote_member, remove_member};
pub use quorum::{Quorum, check_removal, learner_ready, size_advice};
pub use snapshot::{SnapshotError, Transferred, digest_file, save_snapshot};
pub use status::{
    Alarm, ClusterSnapshot, EndpointReport, EndpointStatus, MemberInfo, collect_snapshot,
    endpoint_status, format_id, list_alarms, list_members,
};
pub use stream_digest::{Digests, StreamDigest};
