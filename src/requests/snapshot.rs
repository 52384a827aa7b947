use std::path::PathBuf;

use super::{CommandLine, push};

/// `lifeboat snapshot export`: one project read out of an etcd snapshot into `out`, as
/// `lifeboat project export` would have written it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotExportRequest {
    /// A cluster backup bundle, a `.db` snapshot or a stopped member's data directory.
    pub source: PathBuf,
    pub namespace: String,
    /// The export directory to create (`OUT/NAMESPACE`, as `project export` lays it out).
    pub out: PathBuf,
    /// Export objects with fields newer than lifeboat's schemas, without those fields.
    pub accept_unknown_fields: bool,
}

impl CommandLine for SnapshotExportRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec![
            "lifeboat".into(),
            "snapshot".into(),
            "export".into(),
            self.source.display().to_string(),
        ];
        push(&mut argv, "--namespace", &self.namespace);
        push(&mut argv, "--out", self.out.display());
        if self.accept_unknown_fields {
            argv.push("--accept-unknown-fields".into());
        }
        argv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_prints_back_as_its_command_line() {
        let request = SnapshotExportRequest {
            source: "/backups/b1".into(),
            namespace: "shop".into(),
            out: "/tmp/x".into(),
            accept_unknown_fields: true,
        };
        assert_eq!(
            request.command_line(),
            "lifeboat snapshot export /backups/b1 --namespace shop --out /tmp/x \
             --accept-unknown-fields"
        );
    }
}
