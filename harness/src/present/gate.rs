//! `compare BASE NEW --fail-on-regression [PCT]`: the comparison as a CI gate. A cell of
//! NEW fails when it is slower than BASE by more than PCT percent *and* the comparison's
//! Mann–Whitney test (after its Benjamini–Hochberg correction) calls it slower, so noise
//! within the repetitions' spread never fails a build; and whenever an implementation
//! that protects its readers shows violations or lost wake-ups in NEW, which is a bug at
//! any speed. Instruction-count files (`results/instructions.json`) are exact, so any
//! count that rose by more than PCT fails, as long as both were made by the same rustc
//! (another compiler generates other code: reported, never failed, as the instruction
//! gate does).

use crate::present::compare::Comparison;
use crate::present::instructions::{check_ops, Counts, Verdict, OPERATIONS};
use fencebench_impls::{for_each_impl, Implementation};
use std::path::Path;

/// What failed, one short line per cell; empty when the gate passes.
pub type Failures = Vec<String>;

/// Whether an implementation promises readers never see freed data (an unknown name from
/// an older file is taken as protecting them unless it is the baseline).
fn protects_readers(name: &str) -> bool {
    for_each_impl!(name, I => I::PROTECTS_READERS)
        .unwrap_or(name != crate::result::summary::BASELINE)
}

/// The failing cells of the comparison's second file against its first. Cells the test
/// could not decide (too few repetitions) are counted in `undecided`: they cannot fail.
pub fn result_failures(c: &Comparison, threshold_pct: f64) -> (Failures, usize) {
    let mut failures = Vec::new();
    let mut undecided = 0;
    for row in &c.rows {
        let Some(new) = row.entries.get(1) else {
            continue;
        };
        let cell = format!("{} t={} {}", row.workload, row.threads, row.implementation);
        if new.verdict.starts_with("too few") {
            undecided += 1;
        }
        if let (Some(ratio), "slower") = (new.ratio_to_first, new.verdict.as_str()) {
            if ratio > 1.0 + threshold_pct / 100.0 {
                let p = new
                    .p_value
                    .map_or(String::new(), |p| format!(", p = {p:.3}"));
                failures.push(format!(
                    "{cell}: {:+.1} % ns/op (significant{p})",
                    (ratio - 1.0) * 100.0
                ));
            }
        }
        if protects_readers(&row.implementation) {
            for (what, n) in [
                ("violations", new.violations),
                ("lost wake-ups", new.lost_wakeups),
            ] {
                if let Some(n) = n.filter(|n| *n > 0) {
                    failures.push(format!("{cell}: {n} {what} in a safe implementation"));
                }
            }
        }
    }
    (failures, undecided)
}

/// Whether `path` is an instruction-count file rather than a result file: a JSON object
/// with `counts` and no `schema_version`. Anything unreadable is left to the result-file
/// reader, whose error names it.
pub fn is_counts_file(path: &Path) -> bool {
    crate::result::file::read_bounded(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|v| v.get("counts").is_some() && v.get("schema_version").is_none())
}

/// The instruction gate of `compare`: every operation's count, `threshold_pct` percent
/// of growth allowed ([`check_ops`]).
pub fn count_changes(base: &Counts, new: &Counts, threshold_pct: f64) -> (String, Failures) {
    let ops = OPERATIONS.iter().map(|(op, _)| *op);
    let Verdict {
        mut report,
        regressions,
    } = check_ops(base, new, ops, threshold_pct / 100.0);
    if report.is_empty() {
        report.push_str("instruction counts: no count changed\n");
    }
    (report, regressions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::present::compare::Source;
    use crate::result::{fixture, ResultFile};
    use std::path::PathBuf;

    fn sources(a: ResultFile, b: ResultFile) -> [Source; 2] {
        let source = |name: &str, file| Source {
            path: PathBuf::from(format!("{name}.json")),
            file,
        };
        [source("base", a), source("new", b)]
    }

    /// `factor` on every repetition of every cell of `implementation`, summaries too.
    fn slow_down(file: &mut ResultFile, implementation: &str, factor: f64) {
        for cell in file
            .cells
            .iter_mut()
            .filter(|c| c.implementation == implementation)
        {
            for role in cell.reps.iter_mut().flat_map(|r| &mut r.roles) {
                role.ns_per_op = role.ns_per_op.map(|v| v * factor);
            }
            if let Some(s) = cell.summary.as_mut() {
                for role in &mut s.roles {
                    role.ns_per_op.median *= factor;
                    role.ns_per_op.min *= factor;
                    role.ns_per_op.max *= factor;
                }
            }
        }
    }

    #[test]
    fn a_planted_slowdown_fails_and_the_same_data_passes() {
        let base = fixture::five_reps();
        let (same, _) = result_failures(&Comparison::of(&sources(base.clone(), base.clone())), 5.0);
        assert_eq!(same, Failures::new());
        let mut slower = base.clone();
        slow_down(&mut slower, "hazptr", 1.2);
        let (failed, undecided) =
            result_failures(&Comparison::of(&sources(base.clone(), slower.clone())), 5.0);
        assert_eq!(undecided, 0);
        assert_eq!(failed.len(), 5, "{failed:?}");
        assert!(
            failed
                .iter()
                .all(|f| f.contains("hazptr") && f.contains("+20.0 %")),
            "{failed:?}"
        );
        // Above the threshold, the same slowdown passes.
        let (lenient, _) = result_failures(&Comparison::of(&sources(base, slower)), 25.0);
        assert_eq!(lenient, Failures::new());
    }

    #[test]
    fn a_slowdown_the_test_cannot_decide_does_not_fail() {
        let base = fixture::result_file();
        let mut slower = base.clone();
        slow_down(&mut slower, "hazptr", 1.2);
        let (failed, undecided) = result_failures(&Comparison::of(&sources(base, slower)), 5.0);
        assert_eq!(failed, Failures::new());
        assert!(undecided > 0);
    }

    #[test]
    fn violations_fail_only_in_a_safe_implementation() {
        let base = fixture::five_reps();
        let mut bad = base.clone();
        // The fixture's unprotected cells already have violations: never a failure.
        let cell = bad
            .cells
            .iter_mut()
            .find(|c| c.implementation == "rcu" && c.workload == "describe" && c.threads == 2)
            .unwrap();
        cell.summary.as_mut().unwrap().violations = Some(3);
        let wait = bad
            .cells
            .iter_mut()
            .find(|c| c.implementation == "hazptr" && c.workload == "wait" && c.threads == 1)
            .unwrap();
        wait.summary.as_mut().unwrap().lost_wakeups = 1;
        let (failed, _) = result_failures(&Comparison::of(&sources(base, bad)), 5.0);
        assert_eq!(
            failed,
            [
                "describe t=2 rcu: 3 violations in a safe implementation",
                "wait t=1 hazptr: 1 lost wake-ups in a safe implementation"
            ]
        );
    }

    fn counts(rustc: &str, section: f64) -> Counts {
        let ops = [("section", section), ("describe", 100.0)]
            .map(|(op, n)| (op.to_string(), n))
            .into();
        crate::present::instructions::fixture(rustc, [("rcu".to_string(), ops)].into())
    }

    #[test]
    fn an_instruction_rise_past_the_threshold_fails() {
        let base = counts("rustc 1", 40.0);
        let (_, none) = count_changes(&base, &base, 5.0);
        assert_eq!(none, Failures::new());
        let (_, small) = count_changes(&base, &counts("rustc 1", 41.0), 5.0);
        assert_eq!(small, Failures::new());
        let (report, failed) = count_changes(&base, &counts("rustc 1", 44.0), 5.0);
        assert_eq!(
            failed,
            ["rcu section: 40.0 -> 44.0 instructions (+10.0 %)"],
            "{report}"
        );
        let (report, other) = count_changes(&base, &counts("rustc 2", 44.0), 5.0);
        assert_eq!(other, Failures::new());
        assert!(report.contains("not gated"), "{report}");
    }
}
