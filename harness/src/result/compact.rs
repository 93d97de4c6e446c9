//! The compact form of a result file (schema 2, and 3 on disk): the primary role's
//! latency histograms merged per cell (the one charted; every role keeps its percentiles), retained-memory series decimated, and kept only where they are charted (`stall`:
//! every other workload's retained figures are its peak and mean). A transformation of what the file holds,
//! never a new measurement: the merged histograms are the ones the summaries' percentiles
//! were computed from, and decimation keeps each stretch's highest point, so the peak
//! the tables show stays in the series.

use super::hist::{encode_hist, merge};
use super::{Cell, Rep, ResultFile, SoftwareSummary, SCHEMA_VERSION};
use fencebench_workloads::properties;

/// At most this many `[ms, retained]` points per repetition: enough for a chart's line.
pub const SERIES_POINTS: usize = 64;

impl ResultFile {
    /// This file in the current schema: compacted, reasons expanded, `schema_version` set.
    pub fn upgraded(mut self) -> ResultFile {
        for cell in &mut self.cells {
            compact(cell);
        }
        for cell in &mut self.cells {
            let reps = &cell.reps;
            for role in cell.summary.iter_mut().flat_map(|s| &mut s.roles) {
                if role.software.is_none() {
                    role.software = software_of(reps, &role.role);
                }
            }
        }
        let table = std::mem::take(&mut self.reasons);
        for reason in reasons(&mut self.cells).into_iter().flatten() {
            let index = reason
                .strip_prefix('@')
                .and_then(|i| i.parse::<usize>().ok());
            if let Some(full) = index.and_then(|i| table.get(i)) {
                *reason = full.clone();
            }
        }
        self.schema_version = SCHEMA_VERSION;
        self
    }

    /// This file as written to disk: each distinct missing-counter reason stored once in
    /// `reasons` and named `@<index>` where it applies.
    pub fn interned(&self) -> ResultFile {
        let mut file = self.clone();
        let mut table: Vec<String> = Vec::new();
        for reason in reasons(&mut file.cells).into_iter().flatten() {
            let i = table.iter().position(|r| r == reason).unwrap_or_else(|| {
                table.push(reason.clone());
                table.len() - 1
            });
            *reason = format!("@{i}");
        }
        file.reasons = table;
        // A summary's software figures are the repetitions' median [min–max]: left out
        // where they are exactly that, and recomputed on reading.
        for cell in &mut file.cells {
            let reps = &cell.reps;
            for role in cell.summary.iter_mut().flat_map(|s| &mut s.roles) {
                if role.software == software_of(reps, &role.role) {
                    role.software = None;
                }
            }
        }
        file
    }
}

/// The software summary of `role` over the repetitions, as the run computes it.
fn software_of(reps: &[Rep], role: &str) -> Option<SoftwareSummary> {
    SoftwareSummary::of(
        reps.iter()
            .filter_map(|r| r.roles.iter().find(|x| x.role == role))
            .filter_map(|r| r.counters.software.as_ref()),
    )
}

/// Every missing-counter reason field of the cells, per repetition and in the summaries.
fn reasons(cells: &mut [Cell]) -> Vec<&mut Option<String>> {
    let mut fields = Vec::new();
    for cell in cells {
        for role in cell.reps.iter_mut().flat_map(|r| &mut r.roles) {
            let c = &mut role.counters;
            fields.push(&mut c.missing);
            if let Some(s) = c.software.as_mut() {
                fields.push(&mut s.missing);
            }
        }
        for role in cell.summary.iter_mut().flat_map(|s| &mut s.roles) {
            fields.push(&mut role.counters_missing);
            if let Some(s) = role.software.as_mut() {
                fields.push(&mut s.missing);
            }
        }
    }
    fields
}

/// Moves a cell's per-repetition histograms into its summary (merged, when the summary
/// does not hold them yet) and decimates its series (drops it outside `stall`).
pub fn compact(cell: &mut Cell) {
    if let Some(summary) = cell.summary.as_mut() {
        for role in &mut summary.roles {
            // Only the primary role's distribution is charted; every role's percentiles
            // are in its summary (`latency`), which is what tables and the CSV show.
            if !role.primary {
                role.histogram = None;
                continue;
            }
            if role.histogram.is_none() {
                let mine = cell
                    .reps
                    .iter()
                    .filter_map(|r| r.roles.iter().find(|x| x.role == role.role))
                    .filter_map(|r| r.latency.as_ref());
                role.histogram = merge(mine).map(|h| encode_hist(&h));
            }
        }
        // Not charted: the wake-up and unload percentiles in the summary are the figures.
        summary.wake_histogram = None;
        summary.unload_histogram = None;
    }
    for rep in &mut cell.reps {
        rep.wake_latency = None;
        rep.unload_latency = None;
        for role in &mut rep.roles {
            role.latency = None;
        }
        // Only a stalling workload's series is charted over time; the others keep the
        // peak and mean in their pool figures, which is all their tables show.
        rep.retained_series = if properties(&cell.workload).is_some_and(|p| p.stalls) {
            decimate(&rep.retained_series, SERIES_POINTS)
        } else {
            Vec::new()
        };
    }
}

/// At most `points` points: the series cut into equal stretches, each kept as its
/// highest point (the first of equals), the last point always kept.
pub fn decimate(series: &[[u64; 2]], points: usize) -> Vec<[u64; 2]> {
    if series.len() <= points || points < 2 {
        return series.to_vec();
    }
    let stretch = (series.len() - 1).div_ceil(points - 1);
    let body = &series[..series.len() - 1];
    let mut out: Vec<[u64; 2]> = body
        .chunks(stretch)
        .map(|c| {
            *c.iter()
                .reduce(|best, p| if p[1] > best[1] { p } else { best })
                .expect("chunks are never empty")
        })
        .collect();
    out.push(series[series.len() - 1]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::fixture;
    use crate::result::hist::{decode_hist, percentiles};

    #[test]
    fn decimation_keeps_the_peak_and_the_end() {
        let series: Vec<[u64; 2]> = (0..1000).map(|i| [i * 5, i % 97]).collect();
        let d = decimate(&series, SERIES_POINTS);
        assert!(d.len() <= SERIES_POINTS, "{}", d.len());
        assert_eq!(d.last(), series.last());
        assert_eq!(d.iter().map(|p| p[1]).max(), Some(96));
        assert!(d.windows(2).all(|w| w[0][0] < w[1][0]), "time order kept");
        let short = [[0, 1], [5, 2]];
        assert_eq!(decimate(&short, SERIES_POINTS), short);
    }

    #[test]
    fn upgrading_merges_histograms_and_keeps_every_figure() {
        let v1 = fixture::v1_file();
        let v2 = v1.clone().upgraded();
        assert_eq!(v2.schema_version, SCHEMA_VERSION);
        for (old, new) in v1.cells.iter().zip(&v2.cells) {
            assert!(new.reps.iter().all(|r| r.wake_latency.is_none()));
            assert!(new
                .reps
                .iter()
                .all(|r| r.roles.iter().all(|x| x.latency.is_none())));
            let (Some(os), Some(ns)) = (&old.summary, &new.summary) else {
                continue;
            };
            for (o, n) in os.roles.iter().zip(&ns.roles) {
                assert_eq!((o.ns_per_op, o.latency), (n.ns_per_op, n.latency));
                if !n.primary {
                    assert!(n.histogram.is_none(), "only the charted role keeps one");
                    continue;
                }
                let merged = decode_hist(n.histogram.as_ref().unwrap()).unwrap();
                let samples: u64 = old
                    .reps
                    .iter()
                    .filter_map(|r| r.roles.iter().find(|x| x.role == o.role))
                    .filter_map(|x| decode_hist(x.latency.as_ref()?).ok())
                    .map(|h| h.len())
                    .sum();
                assert_eq!(merged.len(), samples);
                assert!(percentiles(&merged).is_some());
            }
            assert_eq!(os.violations, ns.violations);
        }
        assert!(v2.clone().upgraded() == v2, "upgrading is idempotent");
    }

    #[test]
    fn reasons_are_stored_once_and_read_back_whole() {
        let file = fixture::result_file();
        let disk = file.interned();
        assert_eq!(disk.reasons.len(), 2, "{:?}", disk.reasons);
        let named = &disk.cells[0].reps[0].roles[0].counters.missing;
        assert!(named.as_deref().is_some_and(|n| n.starts_with('@')));
        assert!(disk.upgraded() == file);
    }
}
