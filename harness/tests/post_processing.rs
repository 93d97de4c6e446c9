//! `compare`, `plot` and `report` as a user runs them, on result files written by a real
//! (tiny) `run`: outputs that read correctly, charts that are SVG, a published document
//! whose links all resolve, and bad files refused in one line naming the file.

use fencebench::result::{ResultFile, Stat};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn fencebench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fencebench"))
        .args(args)
        .output()
        .expect("running fencebench")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Runs a tiny sweep (well under a second) on `machine` and returns its file. One
/// operation in 7 is timed so there are latency histograms to plot.
fn run(machine: &str, out: &Path) -> ResultFile {
    let res = fencebench(&[
        "run",
        "--ops",
        "300",
        "--repeat",
        "2",
        "--impl",
        "unprotected,rcu",
        "--workload",
        "describe,stall",
        "--threads",
        "2",
        "--sample-every",
        "7",
        "--stall",
        "2ms",
        "--machine",
        machine,
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    stdout(&res);
    fencebench::result::file::read(out).unwrap()
}

/// Replaces the primary ns/op of `implementation` on `workload`.
fn change(file: &mut ResultFile, implementation: &str, workload: &str, to: impl Fn(Stat) -> Stat) {
    let cell = file
        .cells
        .iter_mut()
        .find(|c| c.implementation == implementation && c.workload == workload)
        .unwrap();
    let primary = cell
        .summary
        .as_mut()
        .unwrap()
        .roles
        .iter_mut()
        .find(|r| r.primary)
        .unwrap();
    primary.ns_per_op = to(primary.ns_per_op);
}

/// The texts of the first Markdown row for 2 threads × `implementation`.
fn row(out: &str, implementation: &str) -> Vec<String> {
    out.lines()
        .map(|l| {
            l.split('|')
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()
        })
        .find(|c| c.len() > 4 && c[1] == "2" && c[2] == implementation)
        .unwrap_or_else(|| panic!("no row {implementation} in\n{out}"))
}

#[test]
fn identical_runs_compared_show_no_change() {
    let dir = tempfile::tempdir().unwrap();
    let before_path = dir.path().join("box/20250101T000000Z.json");
    let before = run("box", &before_path);
    let mut after = before.clone();
    after.created = "2025-02-01T00:00:00Z".into();
    // A 10× change of the summary alone: with 2 repetitions no test can decide it.
    change(&mut after, "rcu", "describe", |s| Stat {
        median: s.median * 10.0,
        min: s.min * 10.0,
        max: s.max * 10.0,
    });
    let after_path = dir.path().join("after.json");
    fencebench::result::file::write(&after_path, &after).unwrap();

    // A directory stands for its latest result file.
    let out = stdout(&fencebench(&[
        "compare",
        dir.path().join("box").to_str().unwrap(),
        before_path.to_str().unwrap(),
        "--format",
        "markdown",
    ]));
    assert!(out.starts_with("# fencebench comparison\n"), "{out}");
    // Piped, so ASCII for mail: "x" for the multiplication sign, "*" for the flag.
    assert!(out.is_ascii(), "{out}");
    assert!(out.contains(&format!("- **A:** {} - box -", before_path.display())));
    assert!(!out.contains("x*"), "identical runs flag nothing:\n{out}");
    let rcu = row(&out, "rcu");
    assert_eq!(rcu[5], "1.00x (too few reps)", "{rcu:?}");
    assert!(out.contains("repeat the runs with --repeat 4 or more"));

    let changed = stdout(&fencebench(&[
        "compare",
        before_path.to_str().unwrap(),
        after_path.to_str().unwrap(),
        "--format",
        "csv",
    ]));
    let line = changed
        .lines()
        .find(|l| l.starts_with("describe,2,rcu,B,"))
        .unwrap();
    assert!(
        line.contains(",too few repetitions to decide,0.95,"),
        "{line}"
    );

    let mut other = before.clone();
    other.config.stall_ms = 50;
    let other_path = dir.path().join("other.json");
    fencebench::result::file::write(&other_path, &other).unwrap();
    rejects(
        &[
            "compare",
            before_path.to_str().unwrap(),
            other_path.to_str().unwrap(),
        ],
        &[
            "different parameters",
            "stall: 2 ms in A vs 50 ms in B",
            "--allow-different-parameters",
        ],
    );
    let allowed = fencebench(&[
        "compare",
        before_path.to_str().unwrap(),
        other_path.to_str().unwrap(),
        "--allow-different-parameters",
    ]);
    assert!(allowed.status.success());
    assert!(String::from_utf8_lossy(&allowed.stderr).contains("warning: the files were run"));
    assert!(String::from_utf8_lossy(&allowed.stdout).contains("WARNING"));
}

/// Asserts exit status 2, nothing on stdout, and one stderr line containing `needles`.
fn rejects(args: &[&str], needles: &[&str]) {
    let out = fencebench(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: {stderr:?} lacks {n:?}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn compare_refuses_corrupt_and_other_version_files_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    run("box", &good);
    let good = good.to_str().unwrap();
    let corrupt = dir.path().join("corrupt.json");
    fs::write(&corrupt, "{\"schema_version\": 1, \"tool\": ").unwrap();
    let corrupt = corrupt.to_str().unwrap();
    rejects(
        &["compare", good, corrupt],
        &[corrupt, "not a fencebench result file"],
    );
    let old = dir.path().join("old.json");
    fs::write(&old, "{\"schema_version\": 0, \"cells\": []}").unwrap();
    let old = old.to_str().unwrap();
    rejects(&["compare", old, good], &[old, "schema version 0"]);
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let empty = empty.to_str().unwrap();
    rejects(&["compare", good, empty], &[empty, "no result files"]);
    rejects(&["compare", good], &["2 values required"]);
    rejects(
        &["compare", good, good, "--format", "xml"],
        &[
            "'xml'",
            "--format",
            "possible values: table, markdown, csv, json",
        ],
    );
}

/// Whether `text` is an SVG document: its root element is `<svg`, after an optional XML
/// declaration, and it is closed.
fn is_svg(text: &str) -> bool {
    let body = match text.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, b)| b),
        None => text,
    };
    body.trim_start().starts_with("<svg") && body.trim_end().ends_with("</svg>")
}

#[test]
fn plot_writes_svg_charts_beside_the_result_file() {
    let dir = tempfile::tempdir().unwrap();
    let result = dir.path().join("vm/20250101T000000Z.json");
    run("vm", &result);
    let out = stdout(&fencebench(&["plot", result.to_str().unwrap()]));
    let written: Vec<&str> = out.lines().collect();
    let plots = dir.path().join("vm/20250101T000000Z-plots");
    let names: Vec<String> = written
        .iter()
        .map(|p| {
            let p = Path::new(p);
            assert_eq!(p.parent().unwrap(), plots);
            p.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    for name in [
        "ns-per-op-describe-2t.svg",
        "latency-describe-2t.svg",
        "ns-per-op-stall-2t.svg",
        "latency-stall-2t.svg",
        "retained-stall-2t.svg",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
    }
    // One thread count: no throughput line through a single point.
    assert!(
        !names.iter().any(|n| n.starts_with("throughput")),
        "{names:?}"
    );
    for path in &written {
        let svg = fs::read_to_string(path).unwrap();
        assert!(is_svg(&svg), "{path} is not SVG");
        assert!(svg.contains("\nvm · "), "{path} does not name its machine");
    }

    let elsewhere = dir.path().join("charts");
    let out = stdout(&fencebench(&[
        "plot",
        dir.path().join("vm").to_str().unwrap(),
        "--out",
        elsewhere.to_str().unwrap(),
    ]));
    assert_eq!(out.lines().count(), written.len());
    assert!(out.lines().all(|p| Path::new(p).starts_with(&elsewhere)));

    let blocker = dir.path().join("file");
    fs::write(&blocker, "").unwrap();
    let blocked = blocker.join("plots");
    rejects(
        &[
            "plot",
            result.to_str().unwrap(),
            "--out",
            blocked.to_str().unwrap(),
        ],
        &["cannot write", blocked.to_str().unwrap()],
    );
    let missing = dir.path().join("absent.json");
    rejects(
        &["plot", missing.to_str().unwrap()],
        &["cannot read", missing.to_str().unwrap()],
    );
}

/// The targets of the Markdown links in `text`.
fn links(text: &str) -> Vec<&str> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target))
        .collect()
}

#[test]
fn report_publishes_the_latest_file_per_machine_and_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let vm = run("vm", &results.join("vm/20250101T000000Z.json"));
    let mut newer = vm.clone();
    newer.created = "2025-03-01T00:00:00Z".into();
    fencebench::result::file::write(&results.join("vm/20250301T000000Z.json"), &newer).unwrap();
    run("bigbox", &results.join("bigbox/20250201T000000Z.json"));
    run("adhoc", &results.join("runs/adhoc/20991231T000000Z.json"));

    let out = stdout(&fencebench(&["report", results.to_str().unwrap()]));
    let readme = results.join("README.md");
    assert_eq!(out.lines().next(), Some(readme.to_str().unwrap()));
    let text = fs::read_to_string(&readme).unwrap();
    assert!(text.starts_with("# fencebench results\n"));
    assert!(text.contains("\n## bigbox\n") && text.contains("\n## vm\n"));
    assert!(text.contains("\n## Cross-machine comparison\n"));
    assert!(text.contains("- **result file:** [vm/20250301T000000Z.json]"));
    assert!(
        !text.contains("20250101T000000Z"),
        "an older vm file is published"
    );
    assert!(!text.contains("adhoc"), "an ad-hoc run is published");
    assert!(text.contains("2-vCPU development VM does not show multi-core scaling"));
    assert!(text.contains("\n### describe · 2 threads"));
    // Every link resolves: the charts were drawn beside their result files.
    let targets = links(&text);
    assert!(targets.iter().any(|t| t.ends_with("retained-stall-2t.svg")));
    for target in &targets {
        assert!(!target.starts_with("runs/"), "{target}");
        assert!(results.join(target).is_file(), "dangling link {target}");
    }
    for chart in out.lines().skip(1) {
        assert!(is_svg(&fs::read_to_string(chart).unwrap()), "{chart}");
    }

    // Elsewhere, links are relative to the document.
    let doc = dir.path().join("docs/results.md");
    stdout(&fencebench(&[
        "report",
        results.to_str().unwrap(),
        "--out",
        doc.to_str().unwrap(),
    ]));
    let text = fs::read_to_string(&doc).unwrap();
    for target in links(&text) {
        assert!(target.starts_with("../results/"), "{target}");
        assert!(
            doc.parent().unwrap().join(target).is_file(),
            "dangling {target}"
        );
    }

    let empty = dir.path().join("empty");
    fs::create_dir_all(empty.join("runs/vm")).unwrap();
    rejects(
        &["report", empty.to_str().unwrap()],
        &[empty.to_str().unwrap(), "no published result files"],
    );
}
