//! The binary as a user meets it: bad input is one line naming the bad value and exit
//! status 2, never a panic; `list` names every implementation; a run writes a result
//! file that reads back.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fencebench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fencebench"))
        .args(args)
        .output()
        .expect("running fencebench")
}

/// Asserts exit status 2 and a single stderr line containing every `needle`.
fn rejects(args: &[&str], needles: &[&str]) {
    let out = fencebench(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: stderr {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: not one line:\n{stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: {stderr:?} lacks {n:?}");
    }
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing is printed on stdout for bad input"
    );
}

#[test]
fn unknown_implementation() {
    rejects(
        &["run", "--impl", "rcu,nosuch"],
        &["unknown implementation 'nosuch'", "hazptr"],
    );
}

#[test]
fn unknown_workload() {
    rejects(
        &["run", "--workload", "describe,bogus"],
        &["unknown workload 'bogus'", "stall"],
    );
}

#[test]
fn zero_threads() {
    rejects(&["run", "--threads", "2,0"], &["'0'", "at least 1"]);
}

#[test]
fn zero_or_bad_duration() {
    rejects(&["run", "--duration", "0s"], &["'0s'", "zero"]);
    rejects(&["run", "--duration", "fast"], &["'fast'", "duration"]);
    rejects(&["run", "--repeat", "0"], &["--repeat", "at least 1"]);
}

#[test]
fn unwritable_output_path_fails_before_running() {
    let dir = std::env::temp_dir().join(format!("fencebench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let out = file.join("result.json");
    let started = std::time::Instant::now();
    rejects(
        &["run", "--out", out.to_str().unwrap()],
        &["cannot write", "result.json"],
    );
    // The check runs before the suite, so it answers at once (not a timing claim about
    // the suite: the default suite takes tens of seconds).
    assert!(started.elapsed().as_secs() < 10);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_mix() {
    rejects(&["run", "--mix", "90/9/2"], &["90/9/2", "100"]);
}

#[test]
fn list_names_every_implementation_and_workload() {
    let out = fencebench(&["list"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    for name in fencebench_impls::IMPLEMENTATIONS
        .iter()
        .chain(fencebench_workloads::WORKLOADS)
    {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(name)),
            "{name} missing:\n{stdout}"
        );
    }
}

#[test]
fn help_explains_and_exits_zero() {
    let out = fencebench(&["run", "--help"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--impl",
        "--workload",
        "--threads",
        "--duration",
        "--repeat",
        "--counters",
        "--format",
    ] {
        assert!(stdout.contains(flag), "{flag} undocumented");
    }
}

#[test]
fn run_writes_a_result_file_that_reads_back() {
    let out: PathBuf =
        std::env::temp_dir().join(format!("fencebench-cli-run-{}/r.json", std::process::id()));
    let res = fencebench(&[
        "run",
        "--impl",
        "unprotected,rcu",
        "--workload",
        "describe,signal",
        "--threads",
        "2",
        "--ops",
        "500",
        "--repeat",
        "2",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let csv = String::from_utf8(res.stdout).unwrap();
    // Header, then 2 implementations × 2 workloads × 2 repetitions; describe has two roles.
    assert_eq!(csv.lines().count(), 1 + 2 * 2 * (2 + 1));
    let file = fencebench::io::read(&out).expect("result file reads back");
    assert_eq!(file.cells.len(), 4);
    let rcu = file.cell("rcu", "describe", 2).unwrap();
    assert_eq!(rcu.reps.len(), 2);
    assert_eq!(rcu.summary.as_ref().unwrap().violations, Some(0));
    assert!(rcu
        .summary
        .as_ref()
        .unwrap()
        .primary()
        .unwrap()
        .ratio_to_baseline
        .is_some());
    std::fs::remove_dir_all(out.parent().unwrap()).unwrap();
}
