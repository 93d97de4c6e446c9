//! Axes: a log axis ticked at 1, 2 and 5 × 10^k, category axes, tick labels.

use super::*;

/// A log axis with ticks at 1, 2 and 5 × 10^k (fewer where they would crowd) and light
/// grid lines at every other mantissa. plotters' own log axis labels either only powers
/// of ten or every mantissa, and then each power of ten twice.
pub(super) struct LogAxis {
    pub lo: f64,
    pub hi: f64,
}

impl LogAxis {
    /// Around `values`, with room above and below, spanning at least a factor of 5 so
    /// there are always two ticks.
    pub fn around(values: impl Iterator<Item = f64>) -> LogAxis {
        let (lo, hi) = values
            .filter(|v| *v > 0.0 && v.is_finite())
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if hi == 0.0 {
            return LogAxis { lo: 1.0, hi: 10.0 };
        }
        let (lo, hi) = (lo / 1.5, hi * 1.5);
        let widen = (5.0 / (hi / lo)).max(1.0).sqrt();
        LogAxis {
            lo: lo / widen,
            hi: hi * widen,
        }
    }

    /// `mantissa × 10^k` within the axis, ascending.
    fn ticks(&self, mantissas: &[f64], decade_step: i32) -> Vec<f64> {
        let first = self.lo.log10().floor() as i32;
        let last = self.hi.log10().ceil() as i32;
        let within = |v: &f64| *v >= self.lo * (1.0 - 1e-9) && *v <= self.hi * (1.0 + 1e-9);
        (first..=last)
            .filter(|k| k.rem_euclid(decade_step) == 0)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .filter(within)
            .collect()
    }
}

impl Ranged for LogAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.lo.log10(), self.hi.log10());
        let at = (value.max(f64::MIN_POSITIVE).log10() - lo) / (hi - lo);
        limit.0 + (at * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let max = hint.max_num_points();
        let light: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        if hint.weight().allow_light_points() && hint.bold_points() < max {
            let ticks = self.ticks(light, 1);
            if ticks.len() <= max {
                return ticks;
            }
        }
        for mantissas in [&[1.0, 2.0, 5.0][..], &[1.0][..]] {
            let ticks = self.ticks(mantissas, 1);
            if ticks.len() <= max {
                return ticks;
            }
        }
        let decades = (self.hi / self.lo).log10().ceil() as usize;
        let step = decades.div_ceil(max.max(1)).max(1);
        self.ticks(&[1.0], step as i32)
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// `n` categories: plotters' integer ranges include their end.
pub(super) fn categories(n: usize) -> SegmentedCoord<RangedCoordusize> {
    (0..n.saturating_sub(1)).into_segmented()
}

/// An axis tick: [`si`] without trailing zeros (`10k`, `2.5`, `300`).
pub(super) fn tick(v: &f64) -> String {
    let text = si(*v);
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number = if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    };
    format!("{number}{suffix}")
}

/// The label of a category axis position.
pub(super) fn category(labels: &[String]) -> impl Fn(&SegmentValue<usize>) -> String + '_ {
    |v| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
            labels.get(*i).cloned().unwrap_or_default()
        }
        SegmentValue::Last => String::new(),
    }
}
