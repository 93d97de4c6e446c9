//! Result files on disk: reading any schema this fencebench knows, writing
//! atomically (temp file, then link or rename) so a crash never leaves half a result,
//! never replacing a file unless asked, collision-free default names under the
//! repository's `results/runs/`, and finding the latest file in a directory. Every
//! error names the file.

use crate::error::IoError;
use crate::host::sanitise;
use crate::result::{ResultFile, OLDEST_SCHEMA, SCHEMA_VERSION};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Where a run's result file goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    /// A path the user gave; replaced only when `force`.
    Exact { path: PathBuf, force: bool },
    /// A directory in which a new, never-colliding name is chosen at write time.
    Fresh { dir: PathBuf },
}

impl Destination {
    /// `--out PATH`: refused now, before any measurement, when it exists (unless
    /// `force`) or cannot be written.
    pub fn exact(path: PathBuf, force: bool) -> Result<Destination, IoError> {
        if path.is_dir() {
            return Err(IoError::Write {
                source: std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
                path,
            });
        }
        if path.exists() && !force {
            return Err(IoError::Exists { path });
        }
        check_writable(&path)?;
        Ok(Destination::Exact { path, force })
    }

    /// `--results-dir DIR`: a fresh name in `DIR/<machine>/` (the name made safe for a
    /// directory), refused now, before any measurement, when it cannot be written.
    pub fn fresh_in(dir: &Path, machine: &str) -> Result<Destination, IoError> {
        let dir = dir.join(sanitise(machine));
        check_writable(&dir.join("result.json"))?;
        Ok(Destination::Fresh { dir })
    }

    /// `<repository>/results/runs/<machine>/`.
    pub fn default_for(machine: &str) -> Destination {
        Destination::Fresh {
            dir: runs_dir().join(sanitise(machine)),
        }
    }

    /// Writes `file` here and returns the path it went to.
    pub fn write(&self, file: &ResultFile, created: SystemTime) -> Result<PathBuf, IoError> {
        match self {
            Destination::Exact { path, force } => {
                write_file(path, file, *force)?;
                Ok(path.clone())
            }
            Destination::Fresh { dir } => {
                let stamp = stamp(created);
                for n in 1.. {
                    let name = match n {
                        1 => format!("{stamp}.json"),
                        n => format!("{stamp}-{n}.json"),
                    };
                    let path = dir.join(name);
                    match write_file(&path, file, false) {
                        Err(IoError::Exists { .. }) => continue,
                        other => return other.map(|()| path),
                    }
                }
                unreachable!("an unbounded range ends only by returning")
            }
        }
    }
}

/// Checks before a long run that `path` can be written, so a typo in `--out` fails in a
/// second, not after the measurements.
fn check_writable(path: &Path) -> Result<(), IoError> {
    let fail = |source| IoError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = parent(path);
    fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(".fencebench-probe-{}", std::process::id()));
    fs::write(&probe, b"").map_err(fail)?;
    // Best effort: the probe is empty and hidden.
    let _ = fs::remove_file(probe);
    Ok(())
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The repository's `results/runs/`, wherever the command is started inside the
/// repository (the nearest directory above the current one holding `Cargo.toml` and
/// `harness/Cargo.toml`); `./results/runs` outside a checkout.
pub fn runs_dir() -> PathBuf {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = here
        .ancestors()
        .find(|d| d.join("Cargo.toml").is_file() && d.join("harness/Cargo.toml").is_file())
        .map(Path::to_path_buf);
    root.map_or_else(|| PathBuf::from("results/runs"), |r| r.join("results/runs"))
}

/// Writes `file` as compact JSON (a published sweep must stay small enough to commit;
/// `fencebench export FILE --format json` prints it pretty), creating parent directories,
/// replacing an existing
/// file only when `force`. Never overwrites through a race: without `force` the finished
/// temp file is hard-linked to its name, which fails if the name exists.
pub fn write_file(path: &Path, file: &ResultFile, force: bool) -> Result<(), IoError> {
    let fail = |source| IoError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut json = serde_json::to_vec(&file.interned()).map_err(|e| fail(e.into()))?;
    json.push(b'\n');
    let dir = parent(path);
    let name = path.file_name().ok_or_else(|| {
        fail(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file name",
        ))
    })?;
    fs::create_dir_all(dir).map_err(fail)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&json).and_then(|()| f.sync_all()))
        .and_then(|()| {
            if force {
                fs::rename(&tmp, path)
            } else {
                fs::hard_link(&tmp, path)
            }
        });
    // Best effort: after a rename the temp file is gone, after a link it is a second name.
    let _ = fs::remove_file(&tmp);
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(IoError::Exists {
            path: path.to_path_buf(),
        }),
        other => other.map_err(fail),
    }
}

/// Writes `file` to `path`, replacing it if it exists: for tests and for files the
/// caller owns (converted copies written to a path checked beforehand).
pub fn write(path: &Path, file: &ResultFile) -> Result<(), IoError> {
    write_file(path, file, true)
}

/// Reads a result file, refusing other schema versions before looking at any other
/// field, so an old file gives a version error rather than a missing-field one.
pub fn read(path: &Path) -> Result<ResultFile, IoError> {
    let text = read_bounded(path)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| IoError::NotResult {
        path: path.to_path_buf(),
        why: format!("invalid JSON {}", located(&e)),
    })?;
    let Some(object) = value.as_object() else {
        let why = "not a JSON object".to_string();
        return Err(IoError::NotResult {
            path: path.to_path_buf(),
            why,
        });
    };
    match object.get("schema_version").and_then(|v| v.as_u64()) {
        Some(v) if (u64::from(OLDEST_SCHEMA)..=u64::from(SCHEMA_VERSION)).contains(&v) => {}
        _ => {
            let found = object.get("schema_version").map(|v| v.to_string());
            return Err(IoError::Version {
                path: path.to_path_buf(),
                found,
                reads: (OLDEST_SCHEMA, SCHEMA_VERSION),
            });
        }
    }
    // From the text rather than the value, so errors carry a line and column.
    let file: ResultFile = serde_json::from_str(&text).map_err(|e| IoError::Malformed {
        path: path.to_path_buf(),
        why: located(&e),
    })?;
    // Older schemas load into the current one: the same figures, compacted.
    Ok(file.upgraded())
}

/// The largest file a result (or instruction-count) file may be. A published sweep is
/// under 1 MB and the longest runs a few MB; anything near this is not a result file, and
/// reading it whole would only exhaust memory.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The text of a file this fencebench reads as input, refused before any byte is read
/// when it is not a regular file (`/dev/zero`, a named pipe, a directory: reading one
/// could block or never end) or is larger than [`MAX_FILE_BYTES`] (a sparse 10 GB file).
/// The read itself also stops past the limit, in case the file grows after the check.
pub fn read_bounded(path: &Path) -> Result<String, IoError> {
    use std::io::Read;
    let refuse = |why: String| IoError::Refused {
        path: path.to_path_buf(),
        why,
    };
    let read_error = |source| IoError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = fs::metadata(path).map_err(read_error)?;
    if !meta.is_file() {
        return Err(refuse(format!("not a regular file ({})", file_kind(&meta))));
    }
    let too_large = || {
        refuse(format!(
            "larger than the {} MiB a result file may be",
            MAX_FILE_BYTES >> 20
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let mut text = String::new();
    fs::File::open(path)
        .map_err(read_error)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(text)
}

/// What a non-regular file is, for the refusal.
fn file_kind(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    match () {
        _ if t.is_dir() => "a directory",
        _ if t.is_fifo() => "a named pipe",
        _ if t.is_char_device() => "a character device",
        _ if t.is_block_device() => "a block device",
        _ if t.is_socket() => "a socket",
        _ => "not a plain file",
    }
}

/// Reads several files in parallel; the error of the first failing file in `paths`'
/// order, so the message does not depend on thread timing.
pub fn read_all(paths: &[PathBuf]) -> Result<Vec<ResultFile>, IoError> {
    use rayon::prelude::*;
    let read: Vec<Result<ResultFile, IoError>> = paths.par_iter().map(|p| read(p)).collect();
    read.into_iter().collect()
}

/// The latest result file in `dir`: result files are named by their UTC start time
/// (`<YYYYmmddTHHMMSSZ>.json`), so the last name in sort order is the latest run.
/// Hidden files (interrupted writes leave `.name.tmp`) are not results.
pub fn latest(dir: &Path) -> Result<PathBuf, IoError> {
    let unreadable = |source| IoError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut latest: Option<PathBuf> = None;
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let is_result = name.is_some_and(|n| n.ends_with(".json") && !n.starts_with('.'));
        if is_result && path.is_file() && latest.as_ref().is_none_or(|l| path > *l) {
            latest = Some(path);
        }
    }
    latest.ok_or_else(|| IoError::NoResults {
        dir: dir.to_path_buf(),
    })
}

/// "at line L column C: message" from serde_json's "message at line L column C".
fn located(e: &serde_json::Error) -> String {
    let whole = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    match whole.strip_suffix(&at) {
        Some(message) => format!("at line {} column {}: {message}", e.line(), e.column()),
        None => whole,
    }
}

/// `YYYYmmddTHHMMSS.mmmZ`: UTC, sorting by time, millisecond resolution so quick
/// successive runs get distinct names (a collision still gets a `-2` suffix).
pub fn stamp(created: SystemTime) -> String {
    humantime::format_rfc3339_millis(created)
        .to_string()
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;
    use crate::result::hist::{decode_hist, encode_hist, percentiles};
    use hdrhistogram::Histogram;
    use std::time::Duration;

    /// Two million latencies shaped like a sampled run: most between 15 and 45 ns, one in
    /// a hundred in a tail spread evenly over octaves up to 100 µs.
    fn big_histogram() -> Histogram<u64> {
        let mut h = fixture::histogram();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = if x.is_multiple_of(100) {
                let octave = 50 << ((x >> 8) % 11);
                octave + (x >> 16) % octave
            } else {
                15 + (x >> 8) % 30
            };
            h.record(v).unwrap();
        }
        h
    }

    #[test]
    fn result_file_round_trips_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = fixture::result_file();
        let big = big_histogram();
        let encoded = encode_hist(&big);
        // About 4.6 KB; the reference machine saw about 5 KB for 2M real samples.
        assert!(
            encoded.len() < 8 * 1024,
            "2M samples encode to {} bytes",
            encoded.len()
        );
        let role = &mut file.cells[0].summary.as_mut().unwrap().roles[0];
        role.histogram = Some(encoded);
        let path = dir.path().join("nested/dir/run.json");
        write(&path, &file).unwrap();
        // Not assert_eq: the debug dump of a whole file would bury the difference.
        assert!(
            read(&path).unwrap() == file,
            "result file changed in the round trip"
        );
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
        let summary = file.cells[0].summary.as_ref().unwrap();
        let back = decode_hist(summary.roles[0].histogram.as_ref().unwrap()).unwrap();
        assert_eq!(back, big);
        assert_eq!(percentiles(&back), percentiles(&big));
    }

    #[test]
    fn corrupt_file_error_names_file_and_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        fs::write(&path, "{\n  \"schema_version\": 1,\n  \"tool\": ]\n}").unwrap();
        let msg = read(&path).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("{}: not a fencebench result file", path.display())),
            "{msg}"
        );
        assert!(msg.contains("invalid JSON at line 3 column 11: "), "{msg}");
        fs::write(&path, "[1, 2]").unwrap();
        assert!(read(&path)
            .unwrap_err()
            .to_string()
            .contains("not a JSON object"));
    }

    #[test]
    fn other_schema_versions_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        fs::write(&path, "{\"schema_version\": 7, \"tool\": \"fencebench 9\"}").unwrap();
        let msg = read(&path).unwrap_err().to_string();
        let expected = format!(
            "{}: schema version 7, this fencebench reads versions {OLDEST_SCHEMA} to \
             {SCHEMA_VERSION} (a newer fencebench wrote it)",
            path.display()
        );
        assert_eq!(msg, expected);
        fs::write(&path, "{\"tool\": \"something else\"}").unwrap();
        let msg = read(&path).unwrap_err().to_string();
        assert!(msg.starts_with(&path.display().to_string()) && msg.contains("no schema_version"));
    }

    #[test]
    fn malformed_and_missing_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        fs::write(&path, format!("{{\"schema_version\": {SCHEMA_VERSION}}}")).unwrap();
        let msg = read(&path).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("{}: malformed", path.display())),
            "{msg}"
        );
        assert!(msg.contains("missing field"), "{msg}");
        let missing = dir.path().join("absent.json");
        let msg = read(&missing).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("cannot read {}: ", missing.display())),
            "{msg}"
        );
    }

    /// Each refused before a byte is read: the test would hang on the pipe, or take
    /// 10 GB of memory, if the checks came after the read.
    #[test]
    fn devices_pipes_and_huge_files_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("pipe.json");
        let c = std::ffi::CString::new(pipe.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let huge = dir.path().join("huge.json");
        fs::File::create(&huge)
            .unwrap()
            .set_len(10 * 1024 * 1024 * 1024)
            .unwrap();
        for (path, why) in [
            (
                Path::new("/dev/zero"),
                "not a regular file (a character device)",
            ),
            (pipe.as_path(), "not a regular file (a named pipe)"),
            (dir.path(), "not a regular file (a directory)"),
            (
                huge.as_path(),
                "larger than the 64 MiB a result file may be",
            ),
        ] {
            let msg = read(path).unwrap_err().to_string();
            assert_eq!(msg, format!("{}: refused: {why}", path.display()));
        }
    }

    #[test]
    fn unwritable_path_errors_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, "not a directory").unwrap();
        let path = blocker.join("x.json");
        let msg = write(&path, &fixture::result_file())
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with(&format!("cannot write {}: ", path.display())),
            "{msg}"
        );
    }

    #[test]
    fn default_names_never_collide_and_sort_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Destination::Fresh {
            dir: dir.path().join("box-1"),
        };
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let file = fixture::result_file();
        let paths: Vec<PathBuf> = (0..3).map(|_| fresh.write(&file, t).unwrap()).collect();
        assert_eq!(paths[0], dir.path().join("box-1/20231114T221320.123Z.json"));
        assert_eq!(
            paths[1],
            dir.path().join("box-1/20231114T221320.123Z-2.json")
        );
        assert_eq!(
            paths[2],
            dir.path().join("box-1/20231114T221320.123Z-3.json")
        );
        assert!(stamp(t + Duration::from_millis(1)) > stamp(t));
        assert_eq!(
            Destination::default_for("../a b"),
            Destination::Fresh {
                dir: runs_dir().join("..-a-b")
            }
        );
    }

    #[test]
    fn an_existing_file_is_never_replaced_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        fs::write(&path, "precious").unwrap();
        let msg = Destination::exact(path.clone(), false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            format!(
                "{} exists; pass --force to replace it, or --out another path",
                path.display()
            )
        );
        let file = fixture::result_file();
        assert!(matches!(
            write_file(&path, &file, false),
            Err(IoError::Exists { .. })
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), "precious");
        let forced = Destination::exact(path.clone(), true).unwrap();
        forced.write(&file, SystemTime::now()).unwrap();
        assert!(read(&path).unwrap() == file);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn runs_dir_is_the_repositorys_from_a_subdirectory() {
        // Tests run in harness/: the repository root is one level up.
        let root = std::env::current_dir().unwrap();
        let root = root.parent().unwrap();
        assert_eq!(runs_dir(), root.join("results/runs"));
    }

    #[test]
    fn version_1_files_load_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.json");
        let v1 = fixture::v1_file();
        write(&path, &v1).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.schema_version, SCHEMA_VERSION);
        assert!(back == v1.upgraded());
    }

    #[test]
    fn latest_is_the_last_result_name_and_skips_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let msg = latest(dir.path()).unwrap_err().to_string();
        assert_eq!(
            msg,
            format!(
                "{}: no result files (*.json) in this directory",
                dir.path().display()
            )
        );
        for name in [
            "20250102T030405Z.json",
            "20250309T000000Z.json",
            "20250101T000000Z.json",
            ".20991231T000000Z.json.1.tmp",
            "notes.txt",
        ] {
            fs::write(dir.path().join(name), "{}").unwrap();
        }
        fs::create_dir(dir.path().join("20991231T000000Z-plots")).unwrap();
        assert_eq!(
            latest(dir.path()).unwrap(),
            dir.path().join("20250309T000000Z.json")
        );
        let missing = dir.path().join("absent");
        assert!(latest(&missing)
            .unwrap_err()
            .to_string()
            .starts_with(&format!("cannot read {}: ", missing.display())));
    }

    #[test]
    fn read_all_reports_the_first_bad_file_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.json");
        write(&good, &fixture::result_file()).unwrap();
        let (bad1, bad2) = (dir.path().join("bad1.json"), dir.path().join("bad2.json"));
        fs::write(&bad1, "nonsense").unwrap();
        fs::write(&bad2, "{}").unwrap();
        assert_eq!(read_all(&[good.clone(), good.clone()]).unwrap().len(), 2);
        let msg = read_all(&[good, bad1.clone(), bad2])
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with(&bad1.display().to_string()), "{msg}");
    }
}
