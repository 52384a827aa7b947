//! Hosts as docker containers for the cross-host replacement: commands, /etc/etcd, lifeboat.

use super::*;

pub fn docker(args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs")
}

pub fn docker_ok(args: &[&str]) -> String {
    let output = docker(args);
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        text(&output)
    );
    text(&output)
}

/// `/etc/etcd` of one etcd host as an OpenShift 3 install lays it out: certificates for its
/// address, the CA (with its key, as on the first etcd host), and etcd.conf.
pub fn etc_etcd(
    dir: &Path,
    ca: &lifeboat::pki::CertificateAuthority,
    name: &str,
    ip: &str,
    initial_cluster: &str,
) {
    use lifeboat::pki::CertUse;
    std::fs::create_dir_all(dir).expect("mkdir");
    let sans = [ip.to_string()];
    ca.issue(name, &sans, CertUse::Server)
        .expect("server cert")
        .write(dir, "server")
        .expect("writes");
    ca.issue(name, &sans, CertUse::Peer)
        .expect("peer cert")
        .write(dir, "peer")
        .expect("writes");
    std::fs::write(dir.join("ca.crt"), ca.cert_pem()).expect("writes");
    ca.save(&dir.join("ca")).expect("CA dir");
    let conf = format!(
        "# [member]\nETCD_NAME={name}\nETCD_DATA_DIR=/var/lib/etcd\n\
         ETCD_LISTEN_PEER_URLS=https://{ip}:2380\nETCD_LISTEN_CLIENT_URLS=https://{ip}:2379\n\
         #[cluster]\nETCD_INITIAL_ADVERTISE_PEER_URLS=https://{ip}:2380\n\
         ETCD_INITIAL_CLUSTER={initial_cluster}\nETCD_INITIAL_CLUSTER_STATE=new\n\
         ETCD_INITIAL_CLUSTER_TOKEN=etcd-cluster-1\nETCD_ADVERTISE_CLIENT_URLS=https://{ip}:2379\n\
         #[security]\nETCD_TRUSTED_CA_FILE=/etc/etcd/ca.crt\nETCD_CLIENT_CERT_AUTH=true\n\
         ETCD_CERT_FILE=/etc/etcd/server.crt\nETCD_KEY_FILE=/etc/etcd/server.key\n\
         ETCD_PEER_TRUSTED_CA_FILE=/etc/etcd/ca.crt\nETCD_PEER_CLIENT_CERT_AUTH=true\n\
         ETCD_PEER_CERT_FILE=/etc/etcd/peer.crt\nETCD_PEER_KEY_FILE=/etc/etcd/peer.key\n"
    );
    std::fs::write(dir.join("etcd.conf"), conf).expect("writes");
}

/// Puts the lifeboat binary (with its shared libraries) on a container.
pub fn install_lifeboat(container: &str) {
    use std::io::Write;
    let tar = lifeboat_sandbox::binary_tar(Path::new(env!("CARGO_BIN_EXE_lifeboat")))
        .expect("lifeboat and its libraries");
    let mut copy = std::process::Command::new("docker")
        .args(["cp", "-", &format!("{container}:/")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("docker cp runs");
    copy.stdin
        .take()
        .expect("stdin")
        .write_all(&tar)
        .expect("sends the archive");
    let copied = copy.wait_with_output().expect("docker cp ends");
    assert!(copied.status.success(), "{}", text(&copied));
}
