//! The read-side targets fencebench's implementations are held to (single reader,
//! `describe`, ratios to `unprotected` in the same run), evaluated from a result file so
//! the published document states whether they were met instead of asserting it.

use crate::present::numbers;
use crate::result::{ResultFile, Stat};

const WORKLOAD: &str = "describe";
/// Said where the ranges do not settle a target either way.
const NOT_SHOWN: &str = "not shown";
const THREADS: usize = 1;

/// A target on one implementation's figures.
enum Target {
    /// The ratio to `unprotected` is at most this.
    RatioAtMost(&'static str, f64),
    /// The first implementation's ns/op median is below the second's.
    Faster(&'static str, &'static str),
}

const TARGETS: &[Target] = &[
    Target::RatioAtMost("rcu", 1.2),
    Target::RatioAtMost("hazptr", 1.5),
    Target::Faster("rcu", "rcu-crossbeam"),
    Target::Faster("rcu", "hyaline-seize"),
    Target::Faster("hazptr", "hazptr-haphazard"),
];

fn primary(file: &ResultFile, implementation: &str) -> Option<(Stat, Option<Stat>)> {
    let cell = file.cell(implementation, WORKLOAD, THREADS)?;
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
/// `describe` cells.
pub fn section(file: &ResultFile) -> Option<String> {
    file.cell("unprotected", WORKLOAD, THREADS)?;
    let mut out = format!(
        "Read-side targets: `{WORKLOAD}`, {THREADS} thread, from this file's figures \
         (ratios to unprotected in the same run). \"met\" is yes or **no** only where \
         the min–max range lies wholly on one side; where it straddles the target, or two \
         implementations' ranges overlap, the data do not show it either way: \"not \
         shown\".\n\n\
         | target | measured | met |\n| --- | --- | --- |\n"
    );
    for t in TARGETS {
        let (target, measured, met) = match *t {
            Target::RatioAtMost(i, limit) => {
                let target = format!("`{i}` ≤ {limit}× unprotected");
                match primary(file, i).and_then(|(_, r)| r) {
                    Some(r) => {
                        let met = if r.max <= limit {
                            yes(true)
                        } else if r.min > limit {
                            yes(false)
                        } else {
                            NOT_SHOWN.into()
                        };
                        (target, format!("{}×", range(&r)), met)
                    }
                    None => (target, "not measured".into(), "—".into()),
                }
            }
            Target::Faster(a, b) => {
                let target = format!("`{a}` faster than `{b}`");
                match (primary(file, a), primary(file, b)) {
                    (Some((sa, _)), Some((sb, _))) => {
                        let met = if sa.overlaps(&sb) {
                            NOT_SHOWN.into()
                        } else {
                            yes(sa.max < sb.min)
                        };
                        (
                            target,
                            format!("{} vs {} ns/op", range(&sa), range(&sb)),
                            met,
                        )
                    }
                    _ => (target, "not measured".into(), "—".into()),
                }
            }
        };
        out.push_str(&format!("| {target} | {measured} | {met} |\n"));
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
            section.contains("| `rcu` ≤ 1.2× unprotected |"),
            "{section}"
        );
        // The fixture has no peer libraries: those targets say so rather than pass.
        assert!(section.contains("| `rcu` faster than `rcu-crossbeam` | not measured | — |"));
        // hazptr at 1.20 [1.19–1.21]× is within 1.5×; rcu at 200× is not.
        assert!(section.contains("| `hazptr` ≤ 1.5× unprotected | 1.20 [1.19–1.21]× | yes |"));
        assert!(section.contains("| `rcu` ≤ 1.2× unprotected | 200 [198–202]× | **no** |"));
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
        file.cells.retain(|c| c.threads != THREADS);
        assert!(super::section(&file).is_none());
    }
}
