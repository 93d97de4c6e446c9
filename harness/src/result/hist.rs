//! Latency histograms inside result files: V2+DEFLATE, base64 — exact, and a few KB
//! for millions of samples — and the percentiles tables show.

use crate::result::Percentiles;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// An empty histogram with the bounds every latency figure uses (1 ns to an hour, 3
/// significant digits): the workloads' own, so merged histograms agree.
pub fn new() -> Histogram<u64> {
    fencebench_workloads::latency_histogram()
}

/// V2+DEFLATE, base64 (standard alphabet): exact and a few KB for millions of samples.
pub fn encode_hist(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .expect("serialising a u64 histogram into memory cannot fail");
    STANDARD.encode(bytes)
}

pub fn decode_hist(s: &str) -> Result<Histogram<u64>, String> {
    let bytes = STANDARD
        .decode(s)
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("histogram does not decode: {e}"))
}

/// `None` for an empty histogram.
pub fn percentiles(h: &Histogram<u64>) -> Option<Percentiles> {
    (!h.is_empty()).then(|| Percentiles {
        samples: h.len(),
        p50: h.value_at_quantile(0.5),
        p90: h.value_at_quantile(0.9),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        max: h.max(),
    })
}

/// Merges encoded histograms; `None` when there are none or one does not decode.
pub fn merge<'a>(encoded: impl Iterator<Item = &'a String>) -> Option<Histogram<u64>> {
    let mut merged: Option<Histogram<u64>> = None;
    for e in encoded {
        let h = decode_hist(e).ok()?;
        match &mut merged {
            Some(m) => m.add(&h).ok()?,
            None => merged = Some(h),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_round_trip_and_empty_has_no_percentiles() {
        let mut h = new();
        assert_eq!(percentiles(&h), None);
        for v in 1..=1000 {
            h.record(v).unwrap();
        }
        let p = percentiles(&h).unwrap();
        assert_eq!((p.samples, p.p50, p.max), (1000, 500, 1000));
        assert_eq!(decode_hist(&encode_hist(&h)).unwrap(), h);
        assert!(decode_hist("not base64!")
            .unwrap_err()
            .contains("not base64"));
        assert!(decode_hist("AAAA").unwrap_err().contains("does not decode"));
    }

    #[test]
    fn merge_adds_every_sample() {
        let mut a = new();
        a.record(10).unwrap();
        let mut b = new();
        b.record(1000).unwrap();
        let encoded = [encode_hist(&a), encode_hist(&b)];
        let m = merge(encoded.iter()).unwrap();
        assert_eq!((m.len(), m.min(), m.max()), (2, 10, 1000));
        assert!(merge(std::iter::empty()).is_none());
    }
}
