//! Planted bugs: `FENCEBENCH_PLANT=NAME` compiles one deliberate bug into the
//! implementations (`cfg(fencebench_plant = "NAME")`), so CI can prove the race test, the
//! conformance suite and the loom models catch it (`.ci/plants.sh`). Read here rather than
//! from `RUSTFLAGS` so switching plants rebuilds this crate and its dependents only. Never
//! set in a normal build.

/// Every plant, and where it breaks the code.
const PLANTS: &[&str] = &[
    // reclaim/rcu.rs: `call_rcu_free` frees at once (no grace period). rcu, rcu-detach.
    "rcu-free-at-once",
    // reclaim/rcu.rs: the reclaimer frees a batch without `synchronize_rcu`. rcu, rcu-detach.
    "rcu-skip-synchronize",
    // reclaim/rcu.rs: a grace period ends one period early (readers of the current period are not
    // waited for). rcu, rcu-detach.
    "rcu-gp-early",
    // reclaim/rcu.rs: `rcu_read_lock` without its (light) barrier.
    "rcu-no-reader-barrier",
    // reclaim/rcu.rs: `synchronize` without its first heavy barrier.
    "rcu-no-writer-barrier",
    // model/fence.rs: `hazptr` tests SIGNALED before publishing its hazard.
    "hazptr-check-before-publish",
    // reclaim/qsbr.rs: `rcu-qsbr` frees at signal (no grace period).
    "qsbr-free-at-once",
    // reclaim/qsbr.rs: the reclaimer frees a batch without `synchronize`.
    "qsbr-skip-synchronize",
    // reclaim/qsbr.rs: a quiescent state announces "offline", so grace periods stop waiting for
    // a thread that goes on reading.
    "qsbr-announce-offline",
    // reclaim/qsbr.rs: going online without its barrier.
    "qsbr-no-barrier",
    // reclaim/qsbr.rs: a quiescent state reads the counter and announces it relaxed.
    "qsbr-relaxed-announce",
    // reclaim/srcu.rs: `call_srcu` frees at once (no grace period). srcu, srcu-fast.
    "srcu-free-at-once",
    // reclaim/srcu.rs: the grace period flips and ends without waiting for the formerly active
    // half (the sections of the period just ended). srcu, srcu-fast.
    "srcu-gp-early",
    // reclaim/srcu.rs: the read side without its barriers (both flavours: full fences in `srcu`,
    // compiler barriers in `srcu-fast`).
    "srcu-no-reader-barrier",
    // reclaim/srcu.rs: `srcu-fast`'s grace-period scans without their RCU grace period.
    "srcu-fast-no-heavy",
    // schemes/srcu.rs: `srcu-fast` frees at signal (no grace period); `srcu` is untouched.
    "srcu-fast-free-at-once",
    // reclaim/hazptr.rs: a scan frees every retired object, ignoring hazards.
    "hazptr-scan-ignores-hazards",
    // reclaim/hazptr.rs: a scan reads the hazards without its heavy barrier.
    "hazptr-scan-no-barrier",
    // schemes/refcount.rs: the data is freed at signal without waiting for readers' references.
    "refcount-free-at-signal",
    // schemes/rcu_detach.rs: the data is freed (after a grace period) while the ops pointer is
    // cleared only when the fence is released.
    "detach-free-before-clear",
    // memory/published.rs: `get_rcu_safe` keeps a reference without re-checking the pointer.
    "get-rcu-safe-no-recheck",
    // schemes/lock.rs: readers do not take the fence lock.
    "lock-reader-unlocked",
    // peers/epoch.rs: the free is not deferred on the epoch.
    "crossbeam-free-at-once",
    // peers/hyaline.rs: the free is not retired to seize.
    "seize-free-at-once",
    // peers/sdd.rs: the free is not retired to the driver's private collector.
    "sdd-free-at-once",
    // peers/haphazard.rs: the data is freed at signal, before the retired holder is reclaimed.
    "haphazard-free-at-once",
    // peers/arcswap.rs: the data is freed at signal, without waiting for readers' guards.
    "arcswap-free-at-once",
];

fn main() {
    println!("cargo::rerun-if-env-changed=FENCEBENCH_PLANT");
    println!("cargo::rerun-if-changed=build.rs");
    let values: Vec<String> = PLANTS.iter().map(|p| format!("\"{p}\"")).collect();
    println!(
        "cargo::rustc-check-cfg=cfg(fencebench_plant, values({}))",
        values.join(", ")
    );
    match std::env::var("FENCEBENCH_PLANT") {
        Ok(plant) if !plant.is_empty() => {
            if !PLANTS.contains(&plant.as_str()) {
                eprintln!("FENCEBENCH_PLANT={plant}: unknown plant; known: {PLANTS:?}");
                std::process::exit(2);
            }
            println!("cargo::rustc-cfg=fencebench_plant=\"{plant}\"");
            println!("cargo::warning=planted bug {plant} compiled in");
        }
        _ => {}
    }
}
