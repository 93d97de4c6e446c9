//! The statistics `compare` decides with: a two-sided Mann–Whitney U test, exact (every
//! split of the pooled repetitions enumerated, ties handled by mid-ranks) while that is
//! cheap and by the normal approximation with tie correction beyond; and the
//! Benjamini–Hochberg correction over every test of a comparison, so a large table does
//! not flag chance differences.

/// Significance level: 95% confidence.
pub const ALPHA: f64 = 0.05;

/// Splits enumerated at most; beyond, the normal approximation.
const EXACT_LIMIT: u64 = 200_000;

fn choose(n: usize, k: usize) -> u64 {
    (0..k).fold(1u64, |acc, i| {
        acc.saturating_mul((n - i) as u64) / (i as u64 + 1)
    })
}

/// The smallest two-sided p-value samples of these sizes can give: below `ALPHA` is
/// needed for any change to be decidable.
pub fn min_p_value(n1: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    (2.0 / choose(n1 + n2, n1) as f64).min(1.0)
}

/// Mid-ranks (1-based) of `values`, ties sharing their average rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Two-sided p-value of the Mann–Whitney U test that `a` and `b` come from the same
/// distribution; 1.0 when either is empty.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    let pooled: Vec<f64> = a.iter().chain(b).copied().collect();
    let r = ranks(&pooled);
    let mean = (n1 * n2) as f64 / 2.0;
    let u_of = |rank_sum: f64| rank_sum - (n1 * (n1 + 1)) as f64 / 2.0;
    let observed = (u_of(r[..n1].iter().sum()) - mean).abs();
    let n = n1 + n2;
    if choose(n, n1) <= EXACT_LIMIT {
        // Every way to pick n1 of the pooled ranks is equally likely under the null.
        let (mut extreme, mut total) = (0u64, 0u64);
        let mut pick: Vec<usize> = (0..n1).collect();
        loop {
            let u = u_of(pick.iter().map(|&i| r[i]).sum());
            total += 1;
            if (u - mean).abs() >= observed - 1e-9 {
                extreme += 1;
            }
            // Next combination in lexicographic order.
            let Some(i) = (0..n1).rev().find(|&i| pick[i] < n - n1 + i) else {
                break;
            };
            pick[i] += 1;
            for j in i + 1..n1 {
                pick[j] = pick[j - 1] + 1;
            }
        }
        return extreme as f64 / total as f64;
    }
    let ties: f64 = {
        let mut sorted = pooled.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
            .chunk_by(|x, y| x == y)
            .map(|g| {
                let t = g.len() as f64;
                t * t * t - t
            })
            .sum()
    };
    let nf = n as f64;
    let variance = (n1 * n2) as f64 / 12.0 * ((nf + 1.0) - ties / (nf * (nf - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = (observed - 0.5).max(0.0) / variance.sqrt();
    (2.0 * (1.0 - normal_cdf(z))).clamp(0.0, 1.0)
}

/// Φ(z) by Abramowitz and Stegun 26.2.17 (absolute error below 7.5e-8).
fn normal_cdf(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.231_641_9 * z.abs());
    let poly = t
        * (0.319_381_530
            + t * (-0.356_563_782
                + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    let tail = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * poly;
    if z >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// Benjamini–Hochberg at false-discovery rate `alpha`: which of `p_values` are
/// significant. With the m p-values ascending, the k smallest are significant for the
/// largest k whose p-value is at most k/m · `alpha` (step-up: a p-value above its own
/// threshold still counts when a larger one passes).
pub fn benjamini_hochberg(p_values: &[f64], alpha: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let cut = order
        .iter()
        .enumerate()
        .filter(|(k, &t)| p_values[t] <= (*k + 1) as f64 / m as f64 * alpha)
        .map(|(k, _)| k + 1)
        .max()
        .unwrap_or(0);
    let mut significant = vec![false; m];
    for &t in &order[..cut] {
        significant[t] = true;
    }
    significant
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against R's `p.adjust(p, "BH")`: 0.005, 0.0417, 0.0417, 0.2, 0.0513 for these,
    /// so at 0.05 the first three are significant and 0.041 (adjusted 0.0513) is not.
    #[test]
    fn benjamini_hochberg_matches_known_adjustments() {
        let p = [0.001, 0.025, 0.019, 0.2, 0.041];
        assert_eq!(
            benjamini_hochberg(&p, ALPHA),
            [true, true, true, false, false]
        );
        // Step-up: each 0.045 is above 0.05/3 and 2·0.05/3, but the largest passes 0.05.
        assert_eq!(benjamini_hochberg(&[0.045; 3], ALPHA), [true; 3]);
        assert_eq!(benjamini_hochberg(&[0.06, 0.5], ALPHA), [false, false]);
        assert!(benjamini_hochberg(&[], ALPHA).is_empty());
    }

    #[test]
    fn identical_samples_give_p_one() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(mann_whitney_u(&a, &a), 1.0);
        assert_eq!(mann_whitney_u(&[], &a), 1.0);
    }

    #[test]
    fn separated_samples_reach_the_exact_minimum() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [10.0, 11.0, 12.0, 13.0, 14.0];
        // Two of the 252 splits are as extreme: all low or all high.
        assert!((mann_whitney_u(&a, &b) - 2.0 / 252.0).abs() < 1e-12);
        assert!((min_p_value(5, 5) - 2.0 / 252.0).abs() < 1e-12);
        assert!(min_p_value(3, 3) > ALPHA, "3 against 3 can never decide");
        assert!(min_p_value(4, 4) < ALPHA);
    }

    #[test]
    fn interleaved_samples_are_not_significant() {
        let a = [1.0, 3.0, 5.0, 7.0, 9.0];
        let b = [2.0, 4.0, 6.0, 8.0, 10.0];
        assert!(mann_whitney_u(&a, &b) > 0.5);
    }

    #[test]
    fn large_samples_use_the_normal_approximation() {
        let a: Vec<f64> = (0..30).map(f64::from).collect();
        let b: Vec<f64> = (0..30).map(|i| f64::from(i) + 100.0).collect();
        assert!(mann_whitney_u(&a, &b) < 1e-6);
        let c: Vec<f64> = (0..30).map(|i| f64::from(i) + 0.5).collect();
        assert!(mann_whitney_u(&a, &c) > 0.5);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
    }
}
