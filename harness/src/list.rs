//! `fencebench list`: the implementations and workloads, as text for people or as JSON
//! for scripts (which once grepped the text).

use crate::error::Result;
use crate::stdout::emit;
use fencebench_impls::{for_each_impl, Implementation, IMPLEMENTATIONS};
use fencebench_workloads::WORKLOADS;
use serde::Serialize;

#[derive(Serialize)]
struct ImplementationEntry {
    name: &'static str,
    summary: &'static str,
    read_side: &'static str,
    /// Why it cannot run here; absent where it can.
    #[serde(skip_serializing_if = "Option::is_none")]
    unavailable: Option<String>,
}

#[derive(Serialize)]
struct WorkloadEntry {
    name: &'static str,
    summary: &'static str,
}

#[derive(Serialize)]
struct Listing {
    implementations: Vec<ImplementationEntry>,
    workloads: Vec<WorkloadEntry>,
}

fn listing() -> Listing {
    let implementations = IMPLEMENTATIONS
        .iter()
        .map(|&name| {
            for_each_impl!(name, I => ImplementationEntry {
                name,
                summary: I::SUMMARY,
                read_side: I::read_side_mechanism(),
                unavailable: I::unavailable(),
            })
            .expect("listed")
        })
        .collect();
    let workloads = WORKLOADS
        .iter()
        .map(|&name| WorkloadEntry {
            name,
            summary: fencebench_workloads::summary(name).unwrap_or(""),
        })
        .collect();
    Listing {
        implementations,
        workloads,
    }
}

/// Prints the listing; `json`: one JSON object with `implementations` and `workloads`.
pub fn execute(json: bool) -> Result<()> {
    let listing = listing();
    if json {
        let text = serde_json::to_string_pretty(&listing).expect("a listing serialises");
        return emit(&format!("{text}\n"));
    }
    let mut out = String::from("implementations:\n");
    for i in &listing.implementations {
        out.push_str(&format!(
            "  {:<12} {} [read side: {}]\n",
            i.name, i.summary, i.read_side
        ));
        if let Some(reason) = &i.unavailable {
            out.push_str(&format!("  {:<12} unavailable here: {reason}\n", ""));
        }
    }
    out.push_str("workloads:\n");
    for w in &listing.workloads {
        out.push_str(&format!("  {:<12} {}\n", w.name, w.summary));
    }
    emit(&out)
}
