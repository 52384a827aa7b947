//! Application data backup and restore against the emulated API server: the procedure's
//! Jenkins example end to end, a 200 MB file with the process's memory measured, and the
//! faults (no running pod, no tar, no sh, a read-only volume, links out of the volume, a
//! backup killed half-way).

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{Sandbox, have, path, text};

const HOME: &str = "/var/lib/jenkins";

fn sandbox() -> Option<Sandbox> {
    (have("etcd") && have("kubectl") && have("busybox")).then(|| Sandbox::up(1))
}

fn jenkins_pod(sandbox: &Sandbox) -> String {
    running_pod(sandbox, "ci", "deploymentconfig=jenkins")
}

/// The one running pod with `selector`, waiting a little for a controller to start it.
fn running_pod(sandbox: &Sandbox, namespace: &str, selector: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let names = sandbox.kubectl_ok(&[
            "get",
            "pods",
            "-n",
            namespace,
            "-l",
            selector,
            "--field-selector=status.phase=Running",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ]);
        if let Some(name) = names.split_whitespace().next() {
            return name.to_string();
        }
        assert!(Instant::now() < deadline, "no running pod with {selector}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn sh(sandbox: &Sandbox, namespace: &str, pod: &str, script: &str) -> String {
    sandbox.kubectl_ok(&["exec", "-n", namespace, pod, "--", "sh", "-c", script])
}

/// `lifeboat appdata backup -n ci --workload dc/jenkins --out OUT --yes`, ready to run.
fn jenkins_backup(sandbox: &Sandbox, out: &Path) -> Command {
    let mut command = sandbox.lifeboat.command();
    command.envs(sandbox.env()).args([
        "appdata",
        "backup",
        "-n",
        "ci",
        "--workload",
        "dc/jenkins",
        "--out",
        path(out),
        "--yes",
    ]);
    command
}

/// `lifeboat appdata restore -n ci --workload dc/jenkins --from BUNDLE --restart HOW --yes`.
fn jenkins_restore(sandbox: &Sandbox, from: &Path, restart: &str) -> Command {
    let mut command = sandbox.lifeboat.command();
    command.envs(sandbox.env()).args([
        "appdata",
        "restore",
        "-n",
        "ci",
        "--workload",
        "dc/jenkins",
        "--from",
        path(from),
        "--restart",
        restart,
        "--yes",
    ]);
    command
}

/// Every file's checksum and every link's target under the mount, as the pod sees them.
fn fingerprint(sandbox: &Sandbox, namespace: &str, pod: &str, dir: &str) -> String {
    sh(
        sandbox,
        namespace,
        pod,
        &format!(
            "cd {dir} && find . -type f | sort | xargs sha256sum && for l in $(find . -type l | sort); do echo \"$l -> $(readlink $l)\"; done"
        ),
    )
}

#[test]
fn jenkins_data_round_trips_with_the_same_checksums_and_links() {
    let Some(sandbox) = sandbox() else { return };
    let pod = jenkins_pod(&sandbox);
    sh(
        &sandbox,
        "ci",
        &pod,
        &format!(
            "cd {HOME} && mkdir -p jobs/nightly/builds/1 plugins/git && \
             echo SUCCESS > jobs/nightly/builds/1/build.xml && echo git > plugins/git/MANIFEST.MF && \
             ln -s builds/1 jobs/nightly/lastSuccessful && \
             head -c 3145728 /dev/urandom > plugins/git.jpi && chmod 600 plugins/git.jpi"
        ),
    );
    let before = fingerprint(&sandbox, "ci", &pod, HOME);
    assert!(before.contains("lastSuccessful -> builds/1"), "{before}");
    let root = tempfile::tempdir().expect("tempdir");
    let bundle = root.path().join("jenkins-backup");

    let backup = jenkins_backup(&sandbox, &bundle)
        .output()
        .expect("lifeboat runs");
    assert!(backup.status.success(), "{}", text(&backup));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("manifest.json")).expect("a manifest"),
    )
    .expect("JSON");
    let files = manifest["files"].as_array().expect("files");
    let entry = |name: &str| {
        files
            .iter()
            .find(|f| f["path"] == format!("volumes/jenkins-data/{name}"))
            .unwrap_or_else(|| panic!("{name} in the manifest: {manifest:#}"))
    };
    assert_eq!(entry("plugins/git.jpi")["size"], 3_145_728);
    assert_eq!(entry("plugins/git.jpi")["mode"], 0o600);
    assert_eq!(entry("jobs/nightly/lastSuccessful")["link"], "builds/1");
    assert!(
        entry("config.xml")["sha256"]
            .as_str()
            .is_some_and(|h| h.len() == 64)
    );
    let verify = sandbox.lifeboat(&["verify", path(&bundle)]);
    assert!(verify.status.success(), "{}", text(&verify));

    // Damage: a file gone, a file changed, the link replaced by a file, the binary truncated.
    sh(
        &sandbox,
        "ci",
        &pod,
        &format!(
            "cd {HOME} && rm -rf jobs/nightly/builds && echo broken > config.xml && \
             rm jobs/nightly/lastSuccessful && echo no > jobs/nightly/lastSuccessful && \
             head -c 100 /dev/zero > plugins/git.jpi"
        ),
    );
    assert_ne!(fingerprint(&sandbox, "ci", &pod, HOME), before);

    let restore = jenkins_restore(&sandbox, &bundle, "delete")
        .output()
        .expect("lifeboat runs");
    assert!(restore.status.success(), "{}", text(&restore));
    let new_pod = jenkins_pod(&sandbox);
    assert_ne!(new_pod, pod, "the pod was restarted");
    assert_eq!(fingerprint(&sandbox, "ci", &new_pod, HOME), before);
    let mode = sh(
        &sandbox,
        "ci",
        &new_pod,
        &format!("stat -c %a {HOME}/plugins/git.jpi"),
    );
    assert_eq!(mode.trim(), "600");
    let transcript = std::fs::read_to_string(sandbox.lifeboat.transcript()).expect("transcript");
    assert!(
        transcript.contains("tar cf - -C /var/lib/jenkins ."),
        "{transcript}"
    );
    assert!(transcript.contains("oc delete pod"), "{transcript}");
}

/// The peak resident memory of a running process, sampled until it exits.
fn run_measuring_memory(mut command: std::process::Command) -> (Output, u64) {
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("lifeboat starts");
    let status_file = format!("/proc/{}/status", child.id());
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0u64;
        while done_rx.try_recv().is_err() {
            // VmHWM is the kernel's own high-water mark, so nothing between samples is missed.
            if let Ok(status) = std::fs::read_to_string(&status_file) {
                for line in status.lines().filter(|l| l.starts_with("VmHWM:")) {
                    let kib: u64 = line
                        .split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    peak = peak.max(kib * 1024);
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        peak
    });
    let output = child.wait_with_output().expect("lifeboat runs");
    let _ = done_tx.send(());
    (output, sampler.join().expect("sampler"))
}

const MIB: u64 = 1 << 20;

#[test]
fn a_200_mb_file_round_trips_with_flat_memory_and_a_killed_backup_leaves_no_bundle() {
    let Some(sandbox) = sandbox() else { return };
    let pod = jenkins_pod(&sandbox);
    let root = tempfile::tempdir().expect("tempdir");
    // The baseline: the same backup of the few kilobytes the seeded Jenkins holds.
    let small = root.path().join("small");
    let command = jenkins_backup(&sandbox, &small);
    let (baseline, baseline_peak) = run_measuring_memory(command);
    assert!(baseline.status.success(), "{}", text(&baseline));
    sh(
        &sandbox,
        "ci",
        &pod,
        &format!("head -c 209715200 /dev/urandom > {HOME}/big.bin"),
    );
    let expected = sh(&sandbox, "ci", &pod, &format!("sha256sum {HOME}/big.bin"));

    // A backup killed half-way leaves only the .partial directory, which is not a bundle.
    let killed = root.path().join("killed");
    let mut child = jenkins_backup(&sandbox, &killed)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let partial_file = root
        .path()
        .join("killed.partial/volumes/jenkins-data/big.bin");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&partial_file).map_or(0, |m| m.len()) < 20 * MIB {
        assert!(Instant::now() < deadline, "the copy never reached 20 MiB");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kills");
    let _ = child.wait();
    assert!(!killed.exists(), "no bundle after a killed backup");
    let partial = root.path().join("killed.partial");
    let verify = sandbox.lifeboat(&["verify", path(&partial)]);
    assert!(!verify.status.success(), "{}", text(&verify));
    let again = jenkins_backup(&sandbox, &killed)
        .output()
        .expect("lifeboat runs");
    assert!(!again.status.success());
    assert!(
        text(&again).contains("left from an earlier run"),
        "{}",
        text(&again)
    );
    // The refused run's cleanup leaves the earlier run's directory for the engineer to look at.
    assert!(partial.is_dir(), "{}", text(&again));

    let bundle = root.path().join("big");
    let command = jenkins_backup(&sandbox, &bundle);
    let (backup, backup_peak) = run_measuring_memory(command);
    assert!(backup.status.success(), "{}", text(&backup));
    let size = std::fs::metadata(bundle.join("volumes/jenkins-data/big.bin"))
        .expect("copied")
        .len();
    assert_eq!(size, 200 * MIB);

    sh(&sandbox, "ci", &pod, &format!("rm {HOME}/big.bin"));
    let command = jenkins_restore(&sandbox, &bundle, "none");
    let (restore, restore_peak) = run_measuring_memory(command);
    assert!(restore.status.success(), "{}", text(&restore));
    assert_eq!(
        sh(&sandbox, "ci", &pod, &format!("sha256sum {HOME}/big.bin")),
        expected
    );
    eprintln!(
        "peak RSS: backup of a few KiB {} KiB; 200 MiB backup {} KiB, restore {} KiB",
        baseline_peak / 1024,
        backup_peak / 1024,
        restore_peak / 1024
    );
    // Flat: a few chunks in flight, never the file; the 200 MiB copy costs no more than a few
    // MiB over copying almost nothing.
    assert!(baseline_peak > 0, "no memory measured");
    for (what, peak) in [("backup", backup_peak), ("restore", restore_peak)] {
        assert!(
            peak < baseline_peak + 16 * MIB && peak < 64 * MIB,
            "{what} peak {peak} against {baseline_peak} for almost nothing"
        );
    }
}

#[test]
fn no_running_pod_means_no_backup_and_nothing_on_disk() {
    let Some(sandbox) = sandbox() else { return };
    sandbox.kubectl_ok(&["scale", "-n", "ci", "dc/jenkins", "--replicas=0"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sandbox
        .kubectl_ok(&[
            "get",
            "pods",
            "-n",
            "ci",
            "-l",
            "deploymentconfig=jenkins",
            "-o",
            "name",
        ])
        .trim()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "pods still there");
        std::thread::sleep(Duration::from_millis(200));
    }
    let root = tempfile::tempdir().expect("tempdir");
    let bundle = root.path().join("b");
    let output = jenkins_backup(&sandbox, &bundle)
        .output()
        .expect("lifeboat runs");
    assert!(!output.status.success());
    assert!(
        text(&output).contains("this type of backup needs a running pod"),
        "{}",
        text(&output)
    );
    assert!(
        text(&output).contains("oc scale --replicas=1 dc/jenkins"),
        "{}",
        text(&output)
    );
    assert_eq!(std::fs::read_dir(root.path()).expect("lists").count(), 0);
}

/// A project with a Deployment `app` mounting a claim at /data, with the pod template's
/// annotations and the mount's readOnly as given.
fn workload_project(sandbox: &Sandbox, namespace: &str, lacks: Option<&str>, read_only: bool) {
    let annotations = lacks.map_or(String::new(), |l| {
        format!("      annotations:\n        sandbox.lifeboat/image-lacks: \"{l}\"\n")
    });
    let yaml = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n---\n\
         apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: {namespace}\n\
         spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: {namespace}\n\
         spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {namespace}\n  template:\n\
         \x20   metadata:\n      labels:\n        app: {namespace}\n{annotations}\
         \x20   spec:\n      containers:\n      - name: main\n        image: minimal\n\
         \x20       volumeMounts:\n        - name: data\n          mountPath: /data\n          readOnly: {read_only}\n\
         \x20     volumes:\n      - name: data\n        persistentVolumeClaim:\n          claimName: data\n"
    );
    let file = sandbox.dir.join(format!("{namespace}.yaml"));
    std::fs::write(&file, yaml).expect("writes");
    sandbox.kubectl_ok(&["create", "--validate=false", "-f", path(&file)]);
}

#[test]
fn pods_without_tar_or_sh_and_read_only_volumes_are_refused_with_the_reason() {
    let Some(sandbox) = sandbox() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    for (namespace, lacks, expected) in [
        ("notar", "tar", "has no `tar`"),
        ("nosh", "sh,tar", "has no `sh`"),
    ] {
        workload_project(&sandbox, namespace, Some(lacks), false);
        let pod = running_pod(&sandbox, namespace, &format!("app={namespace}"));
        // The emulated image really lacks the command, as kubectl sees it.
        let exec = sandbox.kubectl(&["exec", "-n", namespace, &pod, "--", "tar", "--help"]);
        assert!(!exec.status.success());
        assert!(
            text(&exec).contains("executable file not found"),
            "{}",
            text(&exec)
        );
        let bundle = root.path().join(namespace);
        let output = sandbox.lifeboat(&[
            "appdata",
            "backup",
            "-n",
            namespace,
            "--workload",
            "deployment/app",
            "--out",
            path(&bundle),
            "--yes",
        ]);
        assert!(!output.status.success());
        assert!(text(&output).contains(expected), "{}", text(&output));
        assert!(!bundle.exists() && !root.path().join(format!("{namespace}.partial")).exists());
    }

    // A read-only mount: the backup reads it, the restore refuses before copying anything.
    workload_project(&sandbox, "readonly", None, true);
    let pod = running_pod(&sandbox, "readonly", "app=readonly");
    let write = sandbox.kubectl(&["exec", "-n", "readonly", &pod, "--", "touch", "/data/x"]);
    assert!(
        !write.status.success(),
        "a readOnly mount refuses writes even for root"
    );
    let bundle = root.path().join("readonly");
    let backup = sandbox.lifeboat(&[
        "appdata",
        "backup",
        "-n",
        "readonly",
        "--workload",
        "deployment/app",
        "--out",
        path(&bundle),
        "--yes",
    ]);
    assert!(backup.status.success(), "{}", text(&backup));
    let restore = sandbox.lifeboat(&[
        "appdata",
        "restore",
        "-n",
        "readonly",
        "--workload",
        "deployment/app",
        "--from",
        path(&bundle),
        "--yes",
    ]);
    assert!(!restore.status.success());
    let said = text(&restore);
    assert!(said.contains("is not writable"), "{said}");
    assert!(
        !said.contains("Copy the backup into /data of") || said.contains("not run: step"),
        "{said}"
    );
}

#[test]
fn restore_refuses_links_out_of_the_volume_and_damaged_bundles() {
    let Some(sandbox) = sandbox() else { return };
    let pod = jenkins_pod(&sandbox);
    sh(
        &sandbox,
        "ci",
        &pod,
        &format!("ln -s ../../../etc {HOME}/escape && echo original > {HOME}/marker"),
    );
    let root = tempfile::tempdir().expect("tempdir");
    let bundle = root.path().join("links");
    let backup = jenkins_backup(&sandbox, &bundle)
        .output()
        .expect("lifeboat runs");
    assert!(
        backup.status.success(),
        "the link is kept as a link: {}",
        text(&backup)
    );
    sh(
        &sandbox,
        "ci",
        &pod,
        &format!("rm {HOME}/escape && echo changed > {HOME}/marker"),
    );
    let restore = jenkins_restore(&sandbox, &bundle, "none")
        .output()
        .expect("lifeboat runs");
    assert!(!restore.status.success());
    assert!(
        text(&restore).contains("outside /var/lib/jenkins"),
        "{}",
        text(&restore)
    );
    assert_eq!(
        sh(&sandbox, "ci", &pod, &format!("cat {HOME}/marker")).trim(),
        "changed"
    );

    // A bundle changed after the backup is refused before anything is copied.
    std::fs::remove_file(bundle.join("volumes/jenkins-data/escape")).expect("removes");
    std::fs::write(bundle.join("volumes/jenkins-data/marker"), "tampered\n").expect("writes");
    let restore = jenkins_restore(&sandbox, &bundle, "none")
        .output()
        .expect("lifeboat runs");
    assert!(!restore.status.success());
    assert!(
        text(&restore).contains("FAILED verification"),
        "{}",
        text(&restore)
    );
    assert_eq!(
        sh(&sandbox, "ci", &pod, &format!("cat {HOME}/marker")).trim(),
        "changed"
    );
    assert!(Path::new(&bundle).exists());
}

#[test]
fn scale_restart_goes_to_zero_and_back_to_the_old_replica_count() {
    let Some(sandbox) = sandbox() else { return };
    let pod = running_pod(&sandbox, "shop", "app=shop,tier=db");
    sh(
        &sandbox,
        "shop",
        &pod,
        "echo 'PG_VERSION 10' > /var/lib/pgsql/data/PG_VERSION",
    );
    let root = tempfile::tempdir().expect("tempdir");
    let bundle = root.path().join("db");
    let backup = sandbox.lifeboat(&[
        "appdata",
        "backup",
        "-n",
        "shop",
        "--workload",
        "deployment/db",
        "--out",
        path(&bundle),
        "--yes",
    ]);
    assert!(backup.status.success(), "{}", text(&backup));
    sh(&sandbox, "shop", &pod, "rm /var/lib/pgsql/data/PG_VERSION");
    let restore = sandbox.lifeboat(&[
        "appdata",
        "restore",
        "-n",
        "shop",
        "--workload",
        "deployment/db",
        "--from",
        path(&bundle),
        "--restart",
        "scale",
        "--yes",
    ]);
    assert!(restore.status.success(), "{}", text(&restore));
    assert!(
        text(&restore).contains("scaled deployment/db to 0"),
        "{}",
        text(&restore)
    );
    let replicas = sandbox.kubectl_ok(&[
        "get",
        "deployment",
        "db",
        "-n",
        "shop",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas.trim(), "1");
    let new_pod = running_pod(&sandbox, "shop", "app=shop,tier=db");
    assert_ne!(new_pod, pod);
    assert_eq!(
        sh(
            &sandbox,
            "shop",
            &new_pod,
            "cat /var/lib/pgsql/data/PG_VERSION"
        )
        .trim(),
        "PG_VERSION 10"
    );
}

#[test]
fn dry_run_shows_the_procedures_steps_and_touches_nothing() {
    let Some(sandbox) = sandbox() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let bundle = root.path().join("b");
    let output = sandbox.lifeboat(&[
        "appdata",
        "backup",
        "-n",
        "ci",
        "--workload",
        "dc/jenkins",
        "--out",
        path(&bundle),
        "--dry-run",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let said = text(&output);
    assert!(said.contains("tar cf - -C /var/lib/jenkins ."), "{said}");
    assert!(said.contains("Dry run: nothing was executed."), "{said}");
    assert_eq!(std::fs::read_dir(root.path()).expect("lists").count(), 0);
    let list = sandbox.lifeboat(&["appdata", "list", "-n", "ci"]);
    assert!(
        text(&list).contains("jenkins-data  /var/lib/jenkins  claim jenkins"),
        "{}",
        text(&list)
    );
}
