#!/bin/sh
# One prepared command for a many-core machine: the sweep that matters, with counters on,
# in under 6 minutes: describe, signal and stall (and the read-section workload where
# this build has one), threads 1, 2, 4, 8 and all cores, 3 repetitions of 300 ms, every
# implementation. Writes results/<machine>/<UTC time>.json and prints whether the PMU
# worked (hardware counters opened) or why not.
#
#   scripts/device-sweep.sh [--machine NAME] [--desc TEXT]
#
# Uses target/release/fencebench when it exists (build it where cargo is: carry the
# binary), else builds it with cargo.
set -eu

machine=""
desc=""
while [ $# -gt 0 ]; do
    case "$1" in
        --machine) machine=${2:?--machine needs a value}; shift 2 ;;
        --desc) desc=${2:?--desc needs a value}; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "device-sweep.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."

bin=target/release/fencebench
[ -x "$bin" ] || cargo build --release -q -p fencebench

if [ -z "$machine" ]; then
    machine=$(hostname 2>/dev/null || uname -n)
    machine=$(printf '%s' "$machine" | tr -c 'A-Za-z0-9._-' '-')
fi
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
threads=1
for t in 2 4 8; do [ "$t" -lt "$cpus" ] && threads="$threads,$t"; done
threads="$threads,$cpus"
[ "$cpus" -eq 1 ] && threads=1
[ -n "$desc" ] || desc="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $cpus logical CPUs"

workloads=describe,signal,stall
"$bin" list | grep -q '^  section ' && workloads=describe,section,signal,stall

out="results/$machine/$(date -u +%Y%m%dT%H%M%SZ).json"
start=$(date +%s)
"$bin" run --workload "$workloads" --threads "$threads" --repeat 3 \
    --duration 300ms --warmup 100ms --counters on \
    --machine "$machine" --machine-desc "$desc" --out "$out" --format markdown
echo "device-sweep: $(( $(date +%s) - start )) s, wrote $out"

if tr -d ' \n' < "$out" | grep -q '\["instructions",null\]'; then
    echo "device-sweep: PMU worked: hardware counters opened (instructions counted per worker)"
else
    why=$(tr -d '\n' < "$out" | grep -o '\[ *"instructions", *"[^"]*"' | head -1 | sed 's/.*, *"//; s/"$//')
    echo "device-sweep: PMU did not work: instructions could not open: ${why:-unknown reason}"
fi
