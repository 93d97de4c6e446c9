//! Reading and writing result files, and the compact histogram encoding inside them.
//! Writes are atomic (temp file, then rename) so a crash never leaves half a result, and
//! every error names the file.

use crate::result::{Percentiles, ResultFile, SCHEMA_VERSION};
use crate::run::machine::sanitise;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug)]
pub enum IoError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not JSON, or JSON that is not an object.
    NotResult { path: PathBuf, why: String },
    /// Written by a fencebench with another schema (`found` is `None` when absent).
    Version {
        path: PathBuf,
        found: Option<String>,
    },
    /// The right version, but a field is missing or of the wrong type.
    Malformed { path: PathBuf, why: String },
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A directory given in place of a result file holds none.
    NoResults { dir: PathBuf },
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoError::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            IoError::NotResult { path, why } => {
                write!(
                    f,
                    "{}: not a fencebench result file ({why})",
                    path.display()
                )
            }
            IoError::Version {
                path,
                found: Some(found),
            } => write!(
                f,
                "{}: schema version {found}, this fencebench reads version {SCHEMA_VERSION}",
                path.display()
            ),
            IoError::Version { path, found: None } => write!(
                f,
                "{}: not a fencebench result file (no schema_version; this fencebench reads \
                 version {SCHEMA_VERSION})",
                path.display()
            ),
            IoError::Malformed { path, why } => {
                write!(
                    f,
                    "{}: malformed fencebench result file ({why})",
                    path.display()
                )
            }
            IoError::Write { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            IoError::NoResults { dir } => {
                write!(
                    f,
                    "{}: no result files (*.json) in this directory",
                    dir.display()
                )
            }
        }
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IoError::Read { source, .. } | IoError::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Writes `file` as pretty JSON, creating parent directories.
pub fn write(path: &Path, file: &ResultFile) -> Result<(), IoError> {
    let fail = |source| IoError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut json = serde_json::to_vec_pretty(file).map_err(|e| fail(e.into()))?;
    json.push(b'\n');
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
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
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        // Best effort: the temp file may not exist, and the write error is what matters.
        let _ = fs::remove_file(&tmp);
    }
    written.map_err(fail)
}

/// Reads a result file, refusing other schema versions before looking at any other
/// field, so an old file gives a version error rather than a missing-field one.
pub fn read(path: &Path) -> Result<ResultFile, IoError> {
    let text = fs::read_to_string(path).map_err(|source| IoError::Read {
        path: path.to_path_buf(),
        source,
    })?;
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
    match object.get("schema_version") {
        Some(v) if v.as_u64() == Some(SCHEMA_VERSION.into()) => {}
        found => {
            let found = found.map(|v| v.to_string());
            return Err(IoError::Version {
                path: path.to_path_buf(),
                found,
            });
        }
    }
    // From the text rather than the value, so errors carry a line and column.
    serde_json::from_str(&text).map_err(|e| IoError::Malformed {
        path: path.to_path_buf(),
        why: located(&e),
    })
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

/// `results/runs/<machine>/<YYYYmmddTHHMMSSZ>.json`: ad-hoc runs, one directory per
/// machine, files sorting by time; kept apart from the published `results/<machine>/`.
pub fn default_path(machine: &str, created: SystemTime) -> PathBuf {
    let stamp: String = humantime::format_rfc3339_seconds(created)
        .to_string()
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    Path::new("results")
        .join("runs")
        .join(sanitise(machine))
        .join(format!("{stamp}.json"))
}

/// V2+DEFLATE, base64 (standard alphabet): exact and a few KB for millions of samples.
pub fn encode_hist(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .expect("serialising a u64 histogram into memory cannot fail");
    STANDARD.encode(bytes)
}

pub fn decode_hist(s: &str) -> Result<Histogram<u64>, String> {
    let bytes = STANDARD
        .decode(s)
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("histogram does not decode: {e}"))
}

/// `None` for an empty histogram.
pub fn percentiles(h: &Histogram<u64>) -> Option<Percentiles> {
    (!h.is_empty()).then(|| Percentiles {
        samples: h.len(),
        p50: h.value_at_quantile(0.5),
        p90: h.value_at_quantile(0.9),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        max: h.max(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;
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
        file.cells[0].reps[0].roles[0].latency = Some(encoded);
        let path = dir.path().join("nested/dir/run.json");
        write(&path, &file).unwrap();
        // Not assert_eq: the debug dump of a whole file would bury the difference.
        assert!(
            read(&path).unwrap() == file,
            "result file changed in the round trip"
        );
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
        let back = decode_hist(file.cells[0].reps[0].roles[0].latency.as_ref().unwrap()).unwrap();
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
            "{}: schema version 7, this fencebench reads version {SCHEMA_VERSION}",
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
    fn default_path_is_per_machine_and_sortable() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            default_path("box-1", t),
            Path::new("results/runs/box-1/20231114T221320Z.json")
        );
        assert_eq!(
            default_path("../a b", t),
            Path::new("results/runs/..-a-b/20231114T221320Z.json")
        );
        let later = default_path("box-1", t + Duration::from_secs(1));
        assert!(later > default_path("box-1", t));
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

    #[test]
    fn histograms_round_trip_and_empty_has_no_percentiles() {
        let mut h = fixture::histogram();
        assert_eq!(percentiles(&h), None);
        for v in 1..=1000 {
            h.record(v).unwrap();
        }
        let p = percentiles(&h).unwrap();
        assert_eq!((p.samples, p.p50, p.max), (1000, 500, 1000));
        assert_eq!(decode_hist(&encode_hist(&h)).unwrap(), h);
        assert!(decode_hist("not base64!")
            .unwrap_err()
            .contains("not base64"));
        assert!(decode_hist("AAAA").unwrap_err().contains("does not decode"));
    }
}
