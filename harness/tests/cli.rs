//! The binary as a user meets it: bad input is one line naming the bad value and exit
//! status 2, never a panic; `list` names every implementation; a run writes a result
//! file that reads back.

use std::ffi::OsStr;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fencebench<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fencebench"))
        .args(args)
        .output()
        .expect("running fencebench")
}

/// A tiny run's arguments: `implementations` × `workloads` at `threads` threads, `ops`
/// operations per primary thread, written to `out`, then `extra` (one repetition unless
/// `extra` gives `--repeat`).
fn tiny_run(
    implementations: &str,
    workloads: &str,
    threads: &str,
    ops: &str,
    out: &Path,
    extra: &[&str],
) -> Vec<String> {
    let repeat: &[&str] = if extra.contains(&"--repeat") {
        &[]
    } else {
        &["--repeat", "1"]
    };
    let out = out.to_str().expect("a UTF-8 temporary path");
    [
        "run",
        "--impl",
        implementations,
        "--workload",
        workloads,
        "--threads",
        threads,
        "--ops",
        ops,
        "--out",
        out,
    ]
    .iter()
    .chain(repeat)
    .chain(extra)
    .map(|a| a.to_string())
    .collect()
}

/// Asserts exit status 2 and a single stderr line containing every `needle`.
fn rejects<S: AsRef<OsStr> + Debug>(args: &[S], needles: &[&str]) {
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
    let res = fencebench(&tiny_run(
        "unprotected,rcu",
        "describe,signal",
        "2",
        "500",
        &out,
        &["--repeat", "2", "--format", "csv"],
    ));
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let csv = String::from_utf8(res.stdout).unwrap();
    // Header, then 2 implementations × 2 workloads × 2 repetitions; describe has two roles.
    assert_eq!(csv.lines().count(), 1 + 2 * 2 * (2 + 1));
    let file = fencebench::result::file::read(&out).expect("result file reads back");
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

#[test]
fn bad_bounds_are_one_line_errors() {
    rejects(
        &["run", "--threads", "20000"],
        &["--threads 20000", "at most 1024"],
    );
    rejects(&["run", "--threads", "99999999999"], &["99999999999"]);
    rejects(
        &["run", "--duration", "10years"],
        &["--duration 10years", "1h"],
    );
    rejects(&["run", "--duration", "1ns"], &["--duration 1ns", "1ms"]);
    rejects(&["run", "--warmup", "10years"], &["--warmup 10years"]);
    rejects(
        &["run", "--in-flight", "100000000"],
        &["--in-flight 100000000"],
    );
    rejects(
        &["run", "--workload", "stall", "--stall", "1h"],
        &["--stall 1h", "longer than the measured window"],
    );
    rejects(
        &["run", "--workload", "stall", "--drivers", "65"],
        &["--drivers 65", "at most 64"],
    );
    rejects(
        &["run", "--workload", "stall", "--drivers", "0"],
        &["'0' for '--drivers <N>'", "at least 1"],
    );
    rejects(&["run", "--threads", "1,1"], &["'1' is given twice"]);
    rejects(
        &["run", "--signallers", "4", "--threads", "2,8"],
        &["--signallers 4", "--threads 2"],
    );
    rejects(&["run", "--repeat", "100000"], &["--repeat 100000"]);
    rejects(&["run", "--max-retained", "lots"], &["'lots'", "4GiB"]);
    rejects(
        &["run", "--format", "xml"],
        &["'xml'", "possible values: table, markdown, csv, json"],
    );
}

#[test]
fn out_onto_an_existing_file_is_refused_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    std::fs::write(&out, "precious").unwrap();
    let path = out.to_str().unwrap();
    let tiny = tiny_run("unprotected", "signal", "1", "200", &out, &[]);
    rejects(&tiny, &[path, "exists", "--force"]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious");
    let res = fencebench(&tiny_run(
        "unprotected",
        "signal",
        "1",
        "200",
        &out,
        &["--force"],
    ));
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(fencebench::result::file::read(&out).is_ok());
}

#[test]
fn oversubscribed_cells_are_warned_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let cores = std::thread::available_parallelism().unwrap().get();
    let threads = (cores + 1).to_string();
    let res = fencebench(&tiny_run(
        "unprotected",
        "signal",
        &threads,
        "200",
        &out,
        &[],
    ));
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("oversubscribed"), "{stderr}");
    let file = fencebench::result::file::read(&out).unwrap();
    assert!(file.cells[0].flags[0].starts_with("oversubscribed"));
    assert!(String::from_utf8_lossy(&res.stdout).contains("(!)"));
}

#[test]
fn a_tiny_retained_limit_ends_the_cell_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let res = fencebench(&[
        "run",
        "--impl",
        "rcu",
        "--workload",
        "stall",
        "--threads",
        "2",
        "--duration",
        "200ms",
        "--warmup",
        "0s",
        "--stall",
        "100ms",
        "--repeat",
        "1",
        "--max-retained",
        "1MiB",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let file = fencebench::result::file::read(&out).unwrap();
    let flags = &file.cells[0].flags;
    assert!(
        flags
            .iter()
            .any(|f| f.starts_with("retained limit reached after ")),
        "{flags:?}"
    );
}

#[test]
fn sigint_writes_a_partial_file_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let child = long_run(&out).spawn().unwrap();
    // Long enough for the handlers to be installed (they are, before any cell runs); the
    // run itself would take minutes.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let res = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(130), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(out.to_str().unwrap()) && stderr.contains("partial"),
        "{stderr}"
    );
    let file = fencebench::result::file::read(&out).expect("a partial file reads back");
    let partial = file.partial.expect("marked partial");
    assert_eq!(partial.reason, "SIGINT");
    assert_eq!(partial.missing.len(), 2, "{:?}", partial.missing);
    assert!(partial.missing[0].ends_with("of 1000 repetitions"));
}

/// A run of `unprotected,rcu` on `signal` that would take minutes, with its stderr piped.
fn long_run(out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fencebench"));
    cmd.args([
        "run",
        "--impl",
        "unprotected,rcu",
        "--workload",
        "signal",
        "--threads",
        "1",
        "--duration",
        "100ms",
        "--warmup",
        "0s",
        "--repeat",
        "1000",
        "--out",
    ])
    .arg(out)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped());
    cmd
}

/// Asserts the run ended with `status` and left a partial file at `out`.
fn left_a_partial_file(res: Output, status: i32, out: &Path) {
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(status), "{stderr}");
    assert!(stderr.contains("partial"), "{stderr}");
    let file = fencebench::result::file::read(out).expect("a partial file reads back");
    assert_eq!(file.partial.expect("marked partial").reason, "SIGINT");
}

/// Two signals back to back (as `timeout -s INT` delivers them, to the process and then
/// to its group) are one interrupt: the partial file is written.
#[test]
fn two_signals_back_to_back_still_write_the_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let child = long_run(&out).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let pid = child.id().to_string();
    let kill = Command::new("sh")
        .args(["-c", &format!("kill -INT {pid}; kill -INT {pid}")])
        .status()
        .unwrap();
    assert!(kill.success());
    left_a_partial_file(child.wait_with_output().unwrap(), 130, &out);
}

/// The scripted bound the issue came from: `timeout -s INT` signals the process and its
/// process group.
#[test]
fn a_run_under_timeout_s_int_writes_the_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let inner = long_run(&out);
    let res = Command::new("timeout")
        .args(["-s", "INT", "2"])
        .arg(inner.get_program())
        .args(inner.get_args())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    // 124: `timeout`'s own status when the time ran out.
    left_a_partial_file(res, 124, &out);
}

/// `compare BASE NEW --fail-on-regression` over synthetic files made from a real run:
/// 1 for a planted 20 % slowdown, for violations in a safe implementation and for an
/// instruction count that rose; 0 for the same data twice; 2 for bad input.
#[test]
fn compare_fail_on_regression_gates_ci() {
    use fencebench::result::file::{read, write};
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let run = fencebench(&tiny_run(
        "unprotected,rcu",
        "describe",
        "1",
        "2000",
        &base,
        &["--repeat", "5", "--counters", "off"],
    ));
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut file = read(&base).unwrap();
    // Repetitions made distinct and ordered, so the planted change is the only one.
    let set_rcu = |file: &mut fencebench::result::ResultFile, factor: f64| {
        let cell = file
            .cells
            .iter_mut()
            .find(|c| c.implementation == "rcu")
            .unwrap();
        for (k, rep) in cell.reps.iter_mut().enumerate() {
            for role in rep.roles.iter_mut().filter(|r| r.primary) {
                role.ns_per_op = Some(100.0 * factor * (1.0 + 0.001 * (k as f64 - 2.0)));
            }
        }
        let summary = cell.summary.as_mut().unwrap();
        let role = summary.roles.iter_mut().find(|r| r.primary).unwrap();
        role.ns_per_op.median = 100.0 * factor;
        role.ns_per_op.min = 100.0 * factor * 0.998;
        role.ns_per_op.max = 100.0 * factor * 1.002;
    };
    set_rcu(&mut file, 1.0);
    write(&base, &file).unwrap();
    let slower = dir.path().join("slower.json");
    let mut slow = file.clone();
    set_rcu(&mut slow, 1.2);
    write(&slower, &slow).unwrap();
    let unsafe_new = dir.path().join("violations.json");
    let mut bad = file.clone();
    let cell = bad
        .cells
        .iter_mut()
        .find(|c| c.implementation == "rcu")
        .unwrap();
    cell.summary.as_mut().unwrap().violations = Some(2);
    write(&unsafe_new, &bad).unwrap();
    let gate = |a: &Path, b: &Path, extra: &[&str]| {
        let mut args: Vec<&OsStr> = vec!["compare".as_ref(), a.as_os_str(), b.as_os_str()];
        args.extend(extra.iter().map(OsStr::new));
        if extra.is_empty() {
            args.push("--fail-on-regression".as_ref());
        }
        fencebench(&args)
    };
    let same = gate(&base, &base, &[]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    let slow = gate(&base, &slower, &[]);
    let stderr = String::from_utf8_lossy(&slow.stderr);
    assert_eq!(slow.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("describe t=1 rcu: +20.0 % ns/op (significant"),
        "{stderr}"
    );
    assert!(!stderr.contains("unprotected"), "{stderr}");
    let lenient = gate(&base, &slower, &["--fail-on-regression", "25"]);
    assert_eq!(lenient.status.code(), Some(0));
    let violations = gate(&base, &unsafe_new, &[]);
    let stderr = String::from_utf8_lossy(&violations.stderr);
    assert_eq!(violations.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("rcu: 2 violations in a safe implementation"),
        "{stderr}"
    );

    let counts = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../results/instructions.json"),
    )
    .unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&counts).unwrap();
    let old = dir.path().join("counts-base.json");
    std::fs::write(&old, json.to_string()).unwrap();
    let section = &mut json["counts"]["rcu"]["section"];
    *section = (section.as_f64().unwrap() * 1.1).into();
    let risen = dir.path().join("counts-new.json");
    std::fs::write(&risen, json.to_string()).unwrap();
    assert_eq!(gate(&old, &old, &[]).status.code(), Some(0));
    let rise = gate(&old, &risen, &[]);
    let stderr = String::from_utf8_lossy(&rise.stderr);
    assert_eq!(rise.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("rcu section:"), "{stderr}");

    rejects(
        &[
            OsStr::new("compare"),
            base.as_os_str(),
            base.as_os_str(),
            base.as_os_str(),
            "--fail-on-regression".as_ref(),
        ],
        &["exactly two files"],
    );
    rejects(
        &[OsStr::new("compare"), base.as_os_str(), old.as_os_str()],
        &["compare like with like"],
    );
    rejects(
        &[
            OsStr::new("compare"),
            base.as_os_str(),
            slower.as_os_str(),
            "--fail-on-regression=x".as_ref(),
        ],
        &["not a percentage"],
    );
}

/// Not a regular file, or too large: one line and exit 2, before reading (the pipe would
/// block and /dev/zero never end otherwise).
#[test]
fn export_refuses_devices_pipes_and_huge_files() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("pipe.json");
    assert!(Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap()
        .success());
    let huge = dir.path().join("huge.json");
    assert!(Command::new("truncate")
        .args(["-s", "10G"])
        .arg(&huge)
        .status()
        .unwrap()
        .success());
    rejects(
        &["export", "/dev/zero"],
        &["/dev/zero", "not a regular file"],
    );
    rejects(&[OsStr::new("export"), pipe.as_os_str()], &["named pipe"]);
    rejects(&[OsStr::new("export"), huge.as_os_str()], &["larger than"]);
    let out = dir.path().join("out.json");
    let convert = [
        OsStr::new("convert"),
        huge.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    rejects(&convert, &["larger than"]);
}

#[test]
fn export_renders_an_existing_file_with_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let res = fencebench(&tiny_run(
        "unprotected",
        "describe",
        "2",
        "300",
        &out,
        &["--sample-every", "7"],
    ));
    assert!(res.status.success());
    let csv = fencebench(&["export", out.to_str().unwrap(), "--format", "csv"]);
    assert!(csv.status.success());
    let text = String::from_utf8(csv.stdout).unwrap();
    let header = text.lines().next().unwrap();
    for column in [
        "latency_p50_ns",
        "latency_p99_ns",
        "latency_p999_ns",
        "duration_ms",
        "mix",
        "context_switches_per_op",
        "page_faults_per_op",
        "late_signals",
    ] {
        assert!(
            header.split(',').any(|c| c == column),
            "{column} in {header}"
        );
    }
    assert_eq!(text.lines().count(), 1 + 2, "a row per role");
    let md = fencebench(&["export", out.to_str().unwrap(), "--format", "markdown"]);
    assert!(String::from_utf8(md.stdout)
        .unwrap()
        .starts_with("# fencebench results"));
    rejects(
        &["export", out.to_str().unwrap(), "--format", "pdf"],
        &["'pdf'", "possible values"],
    );
}

#[test]
fn convert_refuses_to_replace_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let res = fencebench(&tiny_run("unprotected", "signal", "1", "200", &out, &[]));
    assert!(res.status.success());
    let path = out.to_str().unwrap();
    rejects(&["convert", path], &[path, "--force"]);
    let copy = dir.path().join("copy.json");
    let res = fencebench(&["convert", path, "--out", copy.to_str().unwrap()]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(
        fencebench::result::file::read(&copy).unwrap()
            == fencebench::result::file::read(&out).unwrap()
    );
}

#[test]
fn aliases_select_their_implementation_and_duplicates_through_them_are_refused() {
    let out: PathBuf = std::env::temp_dir().join(format!(
        "fencebench-cli-alias-{}/r.json",
        std::process::id()
    ));
    let res = fencebench(&tiny_run(
        "baseline,rcu-7.1",
        "describe",
        "1",
        "200",
        &out,
        &[],
    ));
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let file = fencebench::result::file::read(&out).expect("result file reads back");
    assert!(file.cell("unprotected", "describe", 1).is_some());
    assert!(file.cell("rcu-detach", "describe", 1).is_some());
    std::fs::remove_dir_all(out.parent().unwrap()).unwrap();
    rejects(
        &["run", "--impl", "rcu-detach,rcu-7.1", "--ops", "10"],
        &["rcu-detach"],
    );
}

#[test]
fn an_unload_run_records_the_request_to_freed_latency() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let res = fencebench(&tiny_run("rcu", "unload", "2", "20", &out, &[]));
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let file = fencebench::result::file::read(&out).unwrap();
    let summary = file.cell("rcu", "unload", 2).unwrap().summary.as_ref();
    let latency = summary
        .and_then(|s| s.unload_latency)
        .expect("unload latency");
    assert!(latency.samples >= 20, "{latency:?}");
    // Schema 3 keeps the percentiles, not the histogram, which no table or chart uses.
    assert!(summary.unwrap().unload_histogram.is_none());
}

#[test]
fn list_json_names_every_implementation_and_workload() {
    let out = fencebench(&["list", "--json"]);
    assert!(out.status.success());
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let names = |key: &str| -> Vec<String> {
        listing[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {listing}"))
            .iter()
            .map(|e| e["name"].as_str().expect("a name").to_string())
            .collect()
    };
    assert_eq!(names("implementations"), fencebench_impls::IMPLEMENTATIONS);
    assert_eq!(names("workloads"), fencebench_workloads::WORKLOADS);
    assert!(listing["implementations"][0]["read_side"].is_string());
    assert!(listing["workloads"][0]["summary"].is_string());
}

/// `--results-dir DIR` writes DIR/<machine>/<timestamp>.json, the machine sanitised;
/// `--threads ladder` sweeps 1, 2, 4, … and every core; `--describe-machine` records
/// the CPU model; `pmu-check RESULT` answers for the run by exit status.
#[test]
fn results_dir_ladder_and_machine_description() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let res = fencebench(&[
        "run",
        "--impl",
        "unprotected",
        "--workload",
        "signal",
        "--threads",
        "ladder",
        "--ops",
        "200",
        "--repeat",
        "1",
        "--counters",
        "off",
        "--machine",
        "box_1",
        "--describe-machine",
        "--results-dir",
        results.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    let written: Vec<PathBuf> = std::fs::read_dir(results.join("box_1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let name = written[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(name.ends_with("Z.json") && name.starts_with("20"), "{name}");
    assert!(stderr.contains(&format!("wrote {}", written[0].display())));
    let file = fencebench::result::file::read(&written[0]).unwrap();
    let cores = std::thread::available_parallelism().unwrap().get();
    let ladder: Vec<usize> = std::iter::successors(Some(1), |t| Some(t * 2))
        .take_while(|&t| t < cores)
        .chain([cores])
        .collect();
    assert_eq!(file.config.threads, ladder);
    assert_eq!(file.machine.name, "box_1");
    if let Some(model) = &file.machine.cpu_model {
        let desc = file.machine.description.as_deref().unwrap();
        assert_eq!(desc, format!("{model}, {cores} logical CPUs"));
    }
    // The run had its counters off: pmu-check on it says so, exit 2, one line.
    rejects(
        &["pmu-check", written[0].to_str().unwrap()],
        &["--counters off"],
    );
    // The directory stands for its latest file too.
    rejects(
        &["pmu-check", results.join("box_1").to_str().unwrap()],
        &["--counters off"],
    );
}

#[test]
fn new_options_refuse_bad_values_in_one_line() {
    rejects(
        &["run", "--threads", "ladder:0"],
        &["ladder:N", "at least 1"],
    );
    rejects(&["run", "--threads", "lader"], &["'lader'", "ladder"]);
    rejects(&["run", "--threads", "1,ladder"], &["'1' is given twice"]);
    rejects(
        &["run", "--results-dir", "x", "--out", "y.json"],
        &["--results-dir", "--out"],
    );
    rejects(
        &["run", "--describe-machine", "--machine-desc", "x"],
        &["--describe-machine", "--machine-desc"],
    );
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    rejects(
        &[
            "run",
            "--ops",
            "10",
            "--results-dir",
            blocker.to_str().unwrap(),
        ],
        &["cannot write", "file"],
    );
    rejects(&["pmu-check", "/nonexistent/r.json"], &["cannot read"]);
}

#[test]
fn new_options_are_documented() {
    for (command, flags) in [
        (
            "run",
            &["--results-dir", "ladder", "--describe-machine"][..],
        ),
        ("list", &["--json"][..]),
        ("kernel-check", &["--json"][..]),
        ("pmu-check", &["RESULT"][..]),
    ] {
        let out = fencebench(&[command, "--help"]);
        assert!(out.status.success(), "{command} --help");
        let stdout = String::from_utf8(out.stdout).unwrap();
        for flag in flags {
            assert!(stdout.contains(flag), "{command}: {flag} undocumented");
        }
    }
}
