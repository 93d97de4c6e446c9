//! The read-side targets fencebench's implementations are held to (single reader,
//! `describe` and the `section` workload's one read-side section, ratios to `unprotected`
//! in the same run), evaluated from a result file so the published document states
//! whether they were met instead of asserting it.

use crate::present::numbers;
use crate::result::{ResultFile, Stat};

const DESCRIBE: &str = "describe";
const SECTION: &str = "section";
/// Said where the ranges do not settle a target either way.
const NOT_SHOWN: &str = "not shown";
const THREADS: usize = 1;

/// A target on one implementation's figures in one workload.
enum Target {
    /// The ratio to `unprotected` is at most this.
    RatioAtMost(&'static str, &'static str, f64),
    /// The first implementation is faster than the second (ranges apart).
    Faster(&'static str, &'static str, &'static str),
}

const TARGETS: &[Target] = &[
    Target::RatioAtMost(DESCRIBE, "rcu", 1.2),
    Target::RatioAtMost(DESCRIBE, "hazptr", 1.5),
    Target::Faster(DESCRIBE, "rcu", "rcu-crossbeam"),
    Target::Faster(DESCRIBE, "rcu", "hyaline-seize"),
    Target::Faster(DESCRIBE, "hazptr", "hazptr-haphazard"),
    Target::RatioAtMost(SECTION, "rcu-qsbr", 1.05),
    Target::RatioAtMost(SECTION, "rcu", 1.25),
    Target::RatioAtMost(SECTION, "hazptr", 1.25),
    Target::RatioAtMost(SECTION, "srcu-fast", 1.35),
    Target::Faster(SECTION, "rcu", "rcu-crossbeam"),
    Target::Faster(SECTION, "rcu", "hyaline-seize"),
    Target::Faster(SECTION, "hazptr", "hazptr-haphazard"),
];

fn primary(
    file: &ResultFile,
    workload: &str,
    implementation: &str,
) -> Option<(Stat, Option<Stat>)> {
    let cell = file.cell(implementation, workload, THREADS)?;
    let p = cell.summary.as_ref()?.primary()?;
    Some((p.ns_per_op, p.ratio_to_baseline))
}

fn range(s: &Stat) -> String {
    format!(
        "{} [{}–{}]",
        numbers::num(s.median),
        numbers::num(s.min),
        numbers::num(s.max)
    )
}

/// One Markdown table row per target; `None` when the file has no single-thread
/// `describe` or `section` cells.
pub fn section(file: &ResultFile) -> Option<String> {
    if [DESCRIBE, SECTION]
        .iter()
        .all(|w| file.cell("unprotected", w, THREADS).is_none())
    {
        return None;
    }
    let mut out = format!(
        "Read-side targets: {THREADS} thread, from this file's figures \
         (ratios to unprotected in the same run): a whole `{DESCRIBE}`, and the \
         `{SECTION}` workload's one read-side section. \"met\" is yes or **no** only where \
         the min–max range lies wholly on one side; where it straddles the target, or two \
         implementations' ranges overlap, the data do not show it either way: \"not \
         shown\".\n\n\
         | workload | target | measured | met |\n| --- | --- | --- | --- |\n"
    );
    for t in TARGETS {
        let (workload, target, measured, met) = match *t {
            Target::RatioAtMost(w, i, limit) => {
                let target = format!("`{i}` ≤ {limit}× unprotected");
                match primary(file, w, i).and_then(|(_, r)| r) {
                    Some(r) => {
                        let met = if r.max <= limit {
                            yes(true)
                        } else if r.min > limit {
                            yes(false)
                        } else {
                            NOT_SHOWN.into()
                        };
                        (w, target, format!("{}×", range(&r)), met)
                    }
                    None => (w, target, "not measured".into(), "—".into()),
                }
            }
            Target::Faster(w, a, b) => {
                let target = format!("`{a}` faster than `{b}`");
                match (primary(file, w, a), primary(file, w, b)) {
                    (Some((sa, _)), Some((sb, _))) => {
                        let met = if sa.overlaps(&sb) {
                            NOT_SHOWN.into()
                        } else {
                            yes(sa.max < sb.min)
                        };
                        (
                            w,
                            target,
                            format!("{} vs {} ns/op", range(&sa), range(&sb)),
                            met,
                        )
                    }
                    _ => (w, target, "not measured".into(), "—".into()),
                }
            }
        };
        out.push_str(&format!("| {workload} | {target} | {measured} | {met} |\n"));
    }
    Some(out)
}

fn yes(met: bool) -> String {
    if met { "yes" } else { "**no**" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;

    #[test]
    fn targets_are_evaluated_from_the_file() {
        let mut file = fixture::result_file();
        let section = section(&file).expect("fixture has describe at 1 thread");
        assert!(
            section.contains("| describe | `rcu` ≤ 1.2× unprotected |"),
            "{section}"
        );
        // The fixture has no peer libraries: those targets say so rather than pass.
        assert!(
            section.contains("| describe | `rcu` faster than `rcu-crossbeam` | not measured | — |")
        );
        // hazptr at 1.20 [1.19–1.21]× is within 1.5×; rcu at 200× is not.
        assert!(section
            .contains("| describe | `hazptr` ≤ 1.5× unprotected | 1.20 [1.19–1.21]× | yes |"));
        assert!(
            section.contains("| describe | `rcu` ≤ 1.2× unprotected | 200 [198–202]× | **no** |")
        );
        // No section cells in the fixture: its targets are listed, not measured.
        assert!(section.contains("| section | `rcu-qsbr` ≤ 1.05× unprotected | not measured | — |"));
        let hazptr = file
            .cells
            .iter_mut()
            .find(|c| c.implementation == "hazptr" && c.threads == THREADS)
            .and_then(|c| c.summary.as_mut())
            .unwrap();
        let ratio = hazptr.roles[0].ratio_to_baseline.as_mut().unwrap();
        ratio.max = 1.6;
        let straddles = super::section(&file).unwrap();
        assert!(
            straddles.contains("| 1.20 [1.19–1.60]× | not shown |"),
            "{straddles}"
        );
        // The same cells as a section run: evaluated under the section targets.
        let mut sections = fixture::result_file();
        sections.cells.retain(|c| c.workload == DESCRIBE);
        sections
            .cells
            .iter_mut()
            .for_each(|c| c.workload = SECTION.into());
        let evaluated = super::section(&sections).unwrap();
        assert!(
            evaluated
                .contains("| section | `hazptr` ≤ 1.25× unprotected | 1.20 [1.19–1.21]× | yes |"),
            "{evaluated}"
        );
        assert!(evaluated.contains("| describe | `rcu` ≤ 1.2× unprotected | not measured | — |"));
        file.cells.retain(|c| c.threads != THREADS);
        assert!(super::section(&file).is_none());
    }
}
