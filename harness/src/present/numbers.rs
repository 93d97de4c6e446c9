//! Number formatting for tables: short enough to scan, precise where it matters
//! (a few ns per operation needs two decimals; thousands do not).

use crate::result::Stat;

/// Two decimals under 100, whole numbers above.
pub(crate) fn num(v: f64) -> String {
    if v.abs() < 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

/// `median [min–max]`.
pub(crate) fn stat(s: &Stat) -> String {
    format!("{} [{}–{}]", num(s.median), num(s.min), num(s.max))
}

/// Three significant digits with an SI suffix: `950`, `12.3k`, `1.23M`, `456G`.
pub(crate) fn si(v: f64) -> String {
    const PREFIXES: [&str; 5] = ["", "k", "M", "G", "T"];
    let mut scaled = v;
    let mut prefix = 0;
    while scaled.abs() >= 999.5 && prefix + 1 < PREFIXES.len() {
        scaled /= 1000.0;
        prefix += 1;
    }
    let digits = if scaled.abs() >= 99.95 {
        0
    } else if scaled.abs() >= 9.995 {
        1
    } else {
        2
    };
    format!("{scaled:.digits$}{}", PREFIXES[prefix])
}

/// A duration in ns as milliseconds, three significant digits: stall figures (free
/// delays of tens of ms beside µs ones) read in one unit.
pub(crate) fn milliseconds(ns: f64) -> String {
    let ms = ns / 1e6;
    if ms.abs() >= 1.0 || ms == 0.0 {
        return format!("{} ms", three_digits(ms));
    }
    // Three significant digits however small: 42 ns is 0.0000420 ms, never 0.00.
    let decimals = (2 - ms.abs().log10().floor() as i32).max(0) as usize;
    format!("{ms:.decimals$} ms")
}

fn three_digits(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_figures_keep_two_decimals_large_ones_none() {
        assert_eq!(num(1.2449), "1.24");
        assert_eq!(num(99.5), "99.50");
        assert_eq!(num(250.4), "250");
        assert_eq!(
            stat(&Stat {
                median: 1.5,
                min: 1.25,
                max: 120.0
            }),
            "1.50 [1.25–120]"
        );
    }

    #[test]
    fn si_suffixes_carry_three_significant_digits() {
        assert_eq!(si(950.0), "950");
        assert_eq!(si(12.5), "12.5");
        assert_eq!(si(12_345.0), "12.3k");
        assert_eq!(si(999_999.0), "1.00M");
        assert_eq!(si(12_300_000.0), "12.3M");
        assert_eq!(si(456e9), "456G");
    }

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(milliseconds(5e7), "50.0 ms");
        assert_eq!(milliseconds(42_000.0), "0.0420 ms");
        assert_eq!(milliseconds(42.0), "0.0000420 ms");
        assert_eq!(milliseconds(0.0), "0.00 ms");
    }
}
