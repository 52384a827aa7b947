//! Pods as directories on disk. Each pod has a root file system of busybox applets and its
//! volumes: a PVC's volume is a directory per PersistentVolume that outlives the pod, an
//! emptyDir (and a configMap or secret volume, filled from the object) lives in the pod's own
//! directory and goes with it.
//!
//! A command in a pod runs in a private mount namespace where the volumes are bind-mounted at
//! their mount paths inside the pod's root, then chrooted there: `tar` and `sh` see
//! `/var/lib/jenkins` as a real directory, and nothing is mounted on the host. This needs root
//! (CAP_SYS_ADMIN and CAP_SYS_CHROOT), which the sandbox machines and CI have; without it the
//! exec fails with an error that says so instead of running on the host's own file system.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use serde_json::Value;

use super::discovery::core;
use super::pod_checks::{mount_inside, pod_spec_problem, valid_config_key};
use super::store::{Store, name_of, namespace_of, uid_of};

/// Device files a shell expects; bind-mounted from the host.
const DEVICES: [&str; 4] = ["null", "zero", "random", "urandom"];

/// Commands the pod's image does not have, comma-separated (`tar`, `sh,tar`): how the sandbox
/// stands in for minimal and distroless images, which lack what `kubectl cp` and lifeboat
/// need. The annotation goes on the pod template, so every pod of a workload lacks them.
pub const IMAGE_LACKS: &str = "sandbox.lifeboat/image-lacks";

/// A bind mount of a volume into the pod's root; `read_only` as `readOnly: true` asks.
#[derive(Clone, Debug)]
struct Bind {
    source: PathBuf,
    target: PathBuf,
    read_only: bool,
}

#[derive(Clone, Debug)]
pub struct PodFiles {
    /// `<sandbox>/kube`.
    root: PathBuf,
    busybox: PathBuf,
    applets: Vec<String>,
}

impl PodFiles {
    pub fn new(root: &Path) -> Result<Self> {
        let busybox = ["/bin/busybox", "/usr/bin/busybox"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .ok_or_else(|| eyre!("busybox is not installed (apt-get install busybox-static); the emulated pods need it"))?;
        let listed = std::process::Command::new(&busybox)
            .arg("--list")
            .output()
            .wrap_err("running busybox --list")?;
        let applets = String::from_utf8_lossy(&listed.stdout)
            .lines()
            .map(str::trim)
            .filter(|a| !a.is_empty() && !a.contains('/'))
            .map(String::from)
            .collect();
        Ok(PodFiles {
            root: root.to_path_buf(),
            busybox,
            applets,
        })
    }

    fn pod_dir(&self, pod: &Value) -> PathBuf {
        self.root.join("pods").join(uid_of(pod))
    }

    fn rootfs(&self, pod: &Value) -> PathBuf {
        self.pod_dir(pod).join("rootfs")
    }

    pub fn volume_dir(&self, volume_name: &str) -> PathBuf {
        self.root.join("volumes").join(volume_name)
    }

    /// Makes the disk match the store: a directory for every pod and every persistent
    /// volume, none for the ones that are gone.
    pub fn sync(&self, store: &Store) -> Result<()> {
        let pods = store.list(core("pods"), None);
        for pod in &pods {
            if !self.rootfs(pod).exists() {
                self.prepare(store, pod)?;
            }
        }
        let live: BTreeSet<String> = pods.iter().map(|p| uid_of(p).to_string()).collect();
        remove_others(&self.root.join("pods"), &live)?;
        let volumes: BTreeSet<String> = store
            .list(core("persistentvolumes"), None)
            .iter()
            .map(|v| name_of(v).to_string())
            .collect();
        for volume in &volumes {
            let dir = self.volume_dir(volume);
            std::fs::create_dir_all(&dir)
                .wrap_err_with(|| format!("creating {}", dir.display()))?;
        }
        remove_others(&self.root.join("volumes"), &volumes)
    }

    fn prepare(&self, store: &Store, pod: &Value) -> Result<()> {
        let rootfs = self.rootfs(pod);
        let bin = rootfs.join("bin");
        std::fs::create_dir_all(&bin).wrap_err_with(|| format!("creating {}", bin.display()))?;
        std::fs::copy(&self.busybox, bin.join("busybox"))
            .wrap_err_with(|| format!("copying busybox into {}", rootfs.display()))?;
        let lacks: BTreeSet<&str> = pod["metadata"]["annotations"][IMAGE_LACKS]
            .as_str()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .collect();
        for applet in self.applets.iter().filter(|a| !lacks.contains(a.as_str())) {
            let link = bin.join(applet);
            if !link.exists() {
                std::os::unix::fs::symlink("busybox", &link)
                    .wrap_err_with(|| format!("linking {}", link.display()))?;
            }
        }
        for dir in ["tmp", "dev", "etc", "root"] {
            std::fs::create_dir_all(rootfs.join(dir)).wrap_err("creating the pod's root")?;
        }
        for device in DEVICES {
            std::fs::File::create(rootfs.join("dev").join(device))
                .wrap_err("creating a device mount point")?;
        }
        std::fs::write(rootfs.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
            .wrap_err("writing the pod's /etc/passwd")?;
        std::fs::write(rootfs.join("etc/group"), "root:x:0:\n")
            .wrap_err("writing the pod's /etc/group")?;
        std::fs::write(rootfs.join("etc/hostname"), format!("{}\n", name_of(pod)))
            .wrap_err("writing the pod's /etc/hostname")?;
        // Checked at admission too; a pod stored before that must not name a host path either.
        if let Some((field, problem)) = pod_spec_problem(&pod["spec"]) {
            bail!("pod {}: {field}: {problem}", name_of(pod));
        }
        for volume in pod["spec"]["volumes"].as_array().into_iter().flatten() {
            let dir = self
                .pod_dir(pod)
                .join("volumes")
                .join(volume["name"].as_str().unwrap_or("_"));
            std::fs::create_dir_all(&dir)
                .wrap_err_with(|| format!("creating {}", dir.display()))?;
            let source = if volume["configMap"].is_object() {
                store
                    .get(
                        core("configmaps"),
                        namespace_of(pod),
                        volume["configMap"]["name"].as_str().unwrap_or(""),
                    )
                    .map(|cm| (cm["data"].clone(), false))
            } else if volume["secret"].is_object() {
                store
                    .get(
                        core("secrets"),
                        namespace_of(pod),
                        volume["secret"]["secretName"].as_str().unwrap_or(""),
                    )
                    .map(|s| (s["data"].clone(), true))
            } else {
                None
            };
            if let Some((data, encoded)) = source {
                for (key, value) in data.as_object().into_iter().flatten() {
                    if !valid_config_key(key) {
                        bail!(
                            "pod {}: the volume key {key:?} is not a file name",
                            name_of(pod)
                        );
                    }
                    let text = value.as_str().unwrap_or("");
                    let bytes = if encoded {
                        BASE64.decode(text).unwrap_or_default()
                    } else {
                        text.as_bytes().to_vec()
                    };
                    std::fs::write(dir.join(key), bytes).wrap_err("writing a volume file")?;
                }
            }
        }
        for container in pod["spec"]["containers"].as_array().into_iter().flatten() {
            for mount in container["volumeMounts"].as_array().into_iter().flatten() {
                let inside = mount_inside(mount["mountPath"].as_str().unwrap_or(""))
                    .ok_or_else(|| eyre!("pod {}: a mount path is not valid", name_of(pod)))?;
                std::fs::create_dir_all(rootfs.join(inside)).wrap_err("creating a mount point")?;
            }
        }
        Ok(())
    }

    /// Where each of a container's volume mounts comes from on the host.
    fn mounts(&self, store: &Store, pod: &Value, container: &Value) -> Result<Vec<Bind>, String> {
        let rootfs = self.rootfs(pod);
        let mut mounts: Vec<Bind> = DEVICES
            .iter()
            .map(|d| Bind {
                source: Path::new("/dev").join(d),
                target: rootfs.join("dev").join(d),
                read_only: false,
            })
            .collect();
        let volumes = pod["spec"]["volumes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some((field, problem)) = pod_spec_problem(&pod["spec"]) {
            return Err(format!("{field}: {problem}"));
        }
        for mount in container["volumeMounts"].as_array().into_iter().flatten() {
            let name = mount["name"].as_str().unwrap_or("");
            let volume = volumes
                .iter()
                .find(|v| v["name"] == name)
                .ok_or_else(|| format!("volume mount {name:?} names no volume of the pod"))?;
            let source = match volume["persistentVolumeClaim"]["claimName"].as_str() {
                Some(claim) => {
                    let bound = store
                        .get(core("persistentvolumeclaims"), namespace_of(pod), claim)
                        .and_then(|c| c["spec"]["volumeName"].as_str())
                        .ok_or_else(|| format!("persistentvolumeclaim {claim:?} is not bound"))?;
                    self.volume_dir(bound)
                }
                None => self.pod_dir(pod).join("volumes").join(name),
            };
            let inside = mount_inside(mount["mountPath"].as_str().unwrap_or(""))
                .ok_or_else(|| format!("volume mount {name:?} has no valid mount path"))?;
            mounts.push(Bind {
                source,
                target: rootfs.join(inside),
                read_only: mount["readOnly"].as_bool().unwrap_or(false),
            });
        }
        Ok(mounts)
    }

    /// The command `argv` as it runs in `container` of `pod`: chrooted into the pod's root with
    /// its volumes mounted.
    pub fn command(
        &self,
        store: &Store,
        pod: &Value,
        container: Option<&str>,
        argv: &[String],
    ) -> Result<tokio::process::Command, String> {
        let containers = pod["spec"]["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let chosen = match container {
            Some(name) => containers.iter().find(|c| c["name"] == name),
            None => containers.first(),
        }
        .ok_or_else(|| {
            format!(
                "container {} is not valid for pod {}",
                container.unwrap_or(""),
                name_of(pod)
            )
        })?;
        let program = argv.first().ok_or("no command given")?;
        let rootfs = self.rootfs(pod);
        if !rootfs.exists() {
            return Err(format!("pod {} has no root file system yet", name_of(pod)));
        }
        let c_path = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(|e| e.to_string());
        let binds = self
            .mounts(store, pod, chosen)?
            .iter()
            .map(|bind| Ok((c_path(&bind.source)?, c_path(&bind.target)?, bind.read_only)))
            .collect::<Result<Vec<_>, String>>()?;
        let root = c_path(&rootfs)?;
        let mut command = tokio::process::Command::new(program);
        command.args(&argv[1..]).env_clear().envs([
            ("PATH", "/bin:/sbin:/usr/bin:/usr/sbin"),
            ("HOME", "/root"),
            ("HOSTNAME", name_of(pod)),
        ]);
        for variable in chosen["env"].as_array().into_iter().flatten() {
            if let (Some(name), Some(value)) =
                (variable["name"].as_str(), variable["value"].as_str())
            {
                command.env(name, value);
            }
        }
        // SAFETY: only system calls run between fork and exec, on strings made before the
        // fork; no allocation, no locks.
        unsafe {
            command.pre_exec(move || enter_pod(&root, &binds).map_err(std::io::Error::from));
        }
        Ok(command)
    }
}

/// In the forked child: a private mount namespace, the volumes bound into the pod's root,
/// then chroot there.
fn enter_pod(root: &CString, binds: &[(CString, CString, bool)]) -> nix::Result<()> {
    use nix::mount::{MsFlags, mount};
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
    // Without this, the bind mounts below would propagate back to the host's namespace.
    mount(
        None::<&std::ffi::CStr>,
        c"/",
        None::<&std::ffi::CStr>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&std::ffi::CStr>,
    )?;
    for (source, target, read_only) in binds {
        mount(
            Some(source.as_c_str()),
            target.as_c_str(),
            None::<&std::ffi::CStr>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&std::ffi::CStr>,
        )?;
        if *read_only {
            // A bind mount only becomes read-only when remounted, as kubelet does for
            // `readOnly: true`: writes then fail with EROFS, even for root.
            mount(
                None::<&std::ffi::CStr>,
                target.as_c_str(),
                None::<&std::ffi::CStr>,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
                None::<&std::ffi::CStr>,
            )?;
        }
    }
    nix::unistd::chroot(root.as_c_str())?;
    nix::unistd::chdir(c"/")
}

/// Removes every entry of `dir` whose name is not in `keep`.
fn remove_others(dir: &Path, keep: &BTreeSet<String>) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if !keep.contains(&entry.file_name().to_string_lossy().into_owned()) {
            let path = entry.path();
            std::fs::remove_dir_all(&path)
                .wrap_err_with(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}
