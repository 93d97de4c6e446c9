#!/usr/bin/env bash
# One prepared command for a many-core machine: the sweep that matters, with counters on,
# in under 6 minutes: describe, section, signal and stall, threads 1, 2, 4, 8 and all
# cores (`--threads ladder:8`), 3 repetitions of 300 ms, every implementation. Writes
# results/<machine>/<UTC time>.json and says whether the PMU works (hardware counters
# open) or why not (`fencebench pmu-check`).
#
#   scripts/device-sweep.sh [--machine NAME] [--desc TEXT] [--results DIR]
#
# DIR is the results directory (default: results; another one for a trial run).
#
# Uses target/release/fencebench when it exists (build it where cargo is: carry the
# binary), else builds it with cargo.
set -euo pipefail

need() { [ $# -ge 2 ] || { echo "device-sweep.sh: $1 needs a value" >&2; exit 2; }; }

# Without --desc the binary describes the machine: "<CPU model>, <N> logical CPUs".
run_args=(--describe-machine)
machine_args=()
results=results
while [ $# -gt 0 ]; do
    case "$1" in
        --machine) need "$@"; machine_args=(--machine "$2"); shift 2 ;;
        --desc) need "$@"; run_args=(--machine-desc "$2"); shift 2 ;;
        --results) need "$@"; results=$2; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "device-sweep.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."

bin=target/release/fencebench
[ -x "$bin" ] || cargo build --release -q -p fencebench

start=$(date +%s)
"$bin" run --workload describe,section,signal,stall --threads ladder:8 --repeat 3 \
    --duration 300ms --warmup 100ms --counters on --results-dir "$results" --format markdown \
    "${machine_args[@]}" "${run_args[@]}"
echo "device-sweep: $(( $(date +%s) - start )) s"

if verdict=$("$bin" pmu-check 2>&1); then
    echo "device-sweep: $verdict"
else
    echo "device-sweep: ${verdict#error: }"
fi
