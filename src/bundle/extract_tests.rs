use super::*;
#[path = "../../tests/common/crafted.rs"]
mod crafted;
use crafted::{Crafted, Kind};

const APP: ExtractOptions = ExtractOptions {
    replace_files: false,
    links: LinkTargets::AsWritten,
};

fn run(stream: &[u8], into: &Path) -> Result<Extracted, ExtractError> {
    extract(stream, into, &APP, &mut |_| {})
}

fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn a_link_then_a_directory_of_the_same_name_cannot_chmod_the_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = dir.path().join("host-dir");
    std::fs::create_dir(&host).expect("mkdir");
    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o750)).expect("chmod");
    let into = dir.path().join("into");
    std::fs::create_dir(&into).expect("mkdir");
    let stream = Crafted::new()
        .entry("d", Kind::Symlink(host.to_str().expect("utf-8")), 0o777)
        .entry("d", Kind::Dir, 0o7777)
        .entry("d/planted", Kind::File(b"x"), 0o644)
        .finish();
    let error = run(&stream, &into).expect_err("refused");
    assert!(error.to_string().contains("\"d\""), "{error}");
    assert!(error.to_string().contains("nothing outside"), "{error}");
    assert_eq!(mode_of(&host), 0o750);
    assert!(!host.join("planted").exists());
}

#[test]
fn a_hard_link_through_a_planted_link_cannot_steal_a_host_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("shadow");
    std::fs::write(&secret, "root-only").expect("writes");
    let into = dir.path().join("into");
    std::fs::create_dir(&into).expect("mkdir");
    let stream = Crafted::new()
        .entry("s", Kind::Symlink(secret.to_str().expect("utf-8")), 0o777)
        .entry("stolen", Kind::HardLink("s"), 0o644)
        .entry("s", Kind::File(b"decoy"), 0o644)
        .finish();
    let error = run(&stream, &into).expect_err("refused");
    assert!(error.to_string().contains("stolen"), "{error}");
    assert!(!into.join("stolen").exists());
    // Nor after the plain file replaced the link: the link is refused as a destination.
    let stream = Crafted::new()
        .entry("s", Kind::Symlink(secret.to_str().expect("utf-8")), 0o777)
        .entry("s", Kind::File(b"decoy"), 0o644)
        .finish();
    assert!(run(&stream, &tempdir_in(dir.path(), "two")).is_err());
    assert_eq!(
        std::fs::read_to_string(&secret).expect("reads"),
        "root-only"
    );
}

fn tempdir_in(parent: &Path, name: &str) -> PathBuf {
    let path = parent.join(name);
    std::fs::create_dir(&path).expect("mkdir");
    path
}

#[test]
fn hard_links_to_files_of_the_same_archive_are_copies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stream = Crafted::new()
        .entry("a", Kind::File(b"data"), 0o640)
        .entry("b", Kind::HardLink("a"), 0o640)
        .finish();
    let done = run(&stream, dir.path()).expect("extracts");
    assert_eq!(done.files, 2);
    assert_eq!(std::fs::read(dir.path().join("b")).expect("reads"), b"data");
    assert_eq!(mode_of(&dir.path().join("b")), 0o640);
}

#[test]
fn setuid_setgid_and_sticky_bits_are_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stream = Crafted::new()
        .entry("bin", Kind::Dir, 0o3777)
        .entry("bin/su", Kind::File(b"#!"), 0o6755)
        .finish();
    run(&stream, dir.path()).expect("extracts");
    assert_eq!(mode_of(&dir.path().join("bin/su")), 0o755);
    assert_eq!(mode_of(&dir.path().join("bin")), 0o777);
}

#[test]
fn absolute_and_climbing_names_devices_and_fifos_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("/etc/escaped", Kind::File(b"x")),
        ("../escaped", Kind::File(b"x")),
        ("a/../../escaped", Kind::File(b"x")),
        ("null", Kind::CharDevice),
        ("disk", Kind::BlockDevice),
        ("pipe", Kind::Fifo),
    ];
    for (name, kind) in cases {
        let into = tempdir_in(dir.path(), &format!("case-{}", name.replace('/', "_")));
        let stream = Crafted::new().entry(name, kind, 0o644).finish();
        let error = run(&stream, &into).expect_err(name);
        assert!(error.to_string().contains(name), "{name}: {error}");
        assert_eq!(
            std::fs::read_dir(&into).expect("lists").count(),
            0,
            "{name}"
        );
    }
    assert!(!dir.path().join("escaped").exists());
}

#[test]
fn a_truncated_stream_or_a_lying_size_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stream = Crafted::new()
        .entry("big", Kind::Declared(1 << 40, b"only this"), 0o644)
        .unfinished();
    let error = run(&stream, dir.path()).expect_err("refused");
    assert!(error.to_string().contains("truncated"), "{error}");
    let stream = Crafted::new()
        .entry("a", Kind::File(b"data"), 0o644)
        .finish();
    let error = run(&stream[..700], dir.path()).expect_err("refused");
    assert!(matches!(error, ExtractError::Unreadable { .. }), "{error}");
}

#[test]
fn an_entry_named_twice_is_refused_unless_files_may_be_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stream = Crafted::new()
        .entry("ca.crt", Kind::File(b"old"), 0o644)
        .entry("ca.crt", Kind::File(b"new"), 0o600)
        .finish();
    assert!(run(&stream, &tempdir_in(dir.path(), "a")).is_err());
    let into = tempdir_in(dir.path(), "b");
    let replace = ExtractOptions {
        replace_files: true,
        links: LinkTargets::Inside,
    };
    extract(&stream[..], &into, &replace, &mut |_| {}).expect("extracts");
    assert_eq!(std::fs::read(into.join("ca.crt")).expect("reads"), b"new");
    assert_eq!(mode_of(&into.join("ca.crt")), 0o600);
}

#[test]
fn links_pointing_outside_are_refused_where_they_must_stay_inside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inside = ExtractOptions {
        replace_files: false,
        links: LinkTargets::Inside,
    };
    for (index, target) in ["/etc/passwd", "../../etc", "a/../../x"]
        .into_iter()
        .enumerate()
    {
        let stream = Crafted::new()
            .entry("l", Kind::Symlink(target), 0o777)
            .finish();
        let into = tempdir_in(dir.path(), &format!("l{index}"));
        assert!(
            extract(&stream[..], &into, &inside, &mut |_| {}).is_err(),
            "{target}"
        );
        assert!(scan(&stream[..], &into, &inside).is_err(), "{target}");
    }
    let stream = Crafted::new()
        .entry("d/l", Kind::Symlink("../x"), 0o777)
        .finish();
    assert_eq!(
        scan(&stream[..], dir.path(), &inside).expect("inside"),
        [PathBuf::from("d/l")]
    );
}

#[test]
fn an_existing_link_in_the_target_is_never_written_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = tempdir_in(dir.path(), "host");
    let into = tempdir_in(dir.path(), "into");
    std::os::unix::fs::symlink(&host, into.join("certs")).expect("links");
    std::os::unix::fs::symlink(host.join("f"), into.join("f")).expect("links");
    for name in ["certs/ca.key", "f"] {
        let stream = Crafted::new()
            .entry(name, Kind::File(b"key"), 0o600)
            .finish();
        let replace = ExtractOptions {
            replace_files: true,
            links: LinkTargets::Inside,
        };
        assert!(extract(&stream[..], &into, &replace, &mut |_| {}).is_err());
    }
    assert_eq!(std::fs::read_dir(&host).expect("lists").count(), 0);
}

#[test]
fn a_gzip_bomb_is_not_read_into_memory() {
    let huge = vec![b' '; (MEMORY_ENTRY_LIMIT + 1) as usize];
    let stream = Crafted::new()
        .entry("join.json", Kind::File(&huge), 0o644)
        .finish();
    let error = read_entry(
        &stream[..],
        Path::new("join.json"),
        MEMORY_ENTRY_LIMIT,
        Path::new("b"),
    )
    .expect_err("refused");
    assert!(error.to_string().contains("join.json"), "{error}");
    let small = Crafted::new()
        .entry("./join.json", Kind::File(b"{}"), 0o644)
        .finish();
    assert_eq!(
        read_entry(&small[..], Path::new("join.json"), 16, Path::new("b")).expect("reads"),
        Some(b"{}".to_vec())
    );
}

/// Reads a stream, and once past `at` bytes looks at `file`'s mode on disk: what others could
/// have opened while it was being written.
struct Watching<'a> {
    stream: &'a [u8],
    read: usize,
    at: usize,
    file: PathBuf,
    seen: Option<u32>,
}

impl Read for Watching<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.read >= self.at && self.seen.is_none() {
            self.seen = std::fs::metadata(&self.file)
                .ok()
                .map(|m| m.permissions().mode() & 0o7777);
        }
        let chunk = buffer.len().min(512).min(self.stream.len() - self.read);
        buffer[..chunk].copy_from_slice(&self.stream[self.read..self.read + chunk]);
        self.read += chunk;
        Ok(chunk)
    }
}

#[test]
fn a_file_has_its_final_mode_while_it_is_written_not_only_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = vec![b'k'; 8192];
    let stream = Crafted::new()
        .entry("ca.key", Kind::File(&body), 0o600)
        .finish();
    let mut watching = Watching {
        stream: &stream,
        read: 0,
        // Past the header and the first block of data: the file exists and is being written.
        at: 512 + 1024,
        file: dir.path().join("ca.key"),
        seen: None,
    };
    extract(&mut watching, dir.path(), &APP, &mut |_| {}).expect("extracts");
    assert_eq!(
        watching.seen,
        Some(0o600),
        "the key was readable by others while written"
    );
}
