#!/usr/bin/env bash
# Runs the full fencebench sweep on this machine into results/<machine>/, then regenerates
# the published report (results/README.md) and its plots.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/run-suite.sh [--machine NAME] [--desc TEXT] [--threads LIST]
                            [--repeat N] [--duration D] [--drivers N]
                            [--results DIR] [-- EXTRA-RUN-ARGS...]

Runs every implementation on every workload, sweeping thread counts, and writes
results/<machine>/<UTC time>.json (`fencebench run --results-dir results`); then
`fencebench report results` rewrites results/README.md and the plots next to each
result file.

  --machine NAME   label for results/<NAME>/ and tables (default: hostname)
  --desc TEXT      free-text machine description stored in the result file
  --threads LIST   comma-separated thread counts (default: ladder, i.e. 1,2,4,...
                   up to and including the number of logical CPUs)
  --repeat N       repetitions per cell (default: 5)
  --duration D     measured window per repetition (default: 1s)
  --drivers N      drivers in the stall workload, the reader stalling in the
                   first (default: 4, so the published stall table shows which
                   implementations retain only the stalled driver's data)
  --results DIR    the published results directory (default: results; another
                   one, relative to the repository, for a trial sweep)
  --allow-dirty    run from a tree with uncommitted changes (the published
                   document then flags the build as -dirty)
  -h, --help       this text

Anything after `--` is passed to `fencebench run` unchanged.
On a 2-core machine the default sweep takes about 21 minutes (13 implementations).
USAGE
}

need() { [ $# -ge 2 ] || { echo "run-suite.sh: $1 needs a value" >&2; exit 2; }; }

run_args=()
threads=ladder
repeat=5
duration=1s
drivers=4
results=results
allow_dirty=""
while [ $# -gt 0 ]; do
    case "$1" in
        --machine) need "$@"; run_args+=(--machine "$2"); shift 2 ;;
        --desc) need "$@"; run_args+=(--machine-desc "$2"); shift 2 ;;
        --threads) need "$@"; threads=$2; shift 2 ;;
        --repeat) need "$@"; repeat=$2; shift 2 ;;
        --duration) need "$@"; duration=$2; shift 2 ;;
        --drivers) need "$@"; drivers=$2; shift 2 ;;
        --results) need "$@"; results=$2; shift 2 ;;
        --allow-dirty) allow_dirty=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        *) echo "run-suite.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."

# A published sweep must name the commit that measured it: refuse uncommitted changes
# (results/ is output, not source).
if [ -z "$allow_dirty" ] && [ -n "$(git status --porcelain -- . ':(exclude)results' 2>/dev/null)" ]; then
    echo "run-suite.sh: the tree has uncommitted changes (see git status); commit them so" \
        "the sweep names its commit, or pass --allow-dirty" >&2
    exit 2
fi

cargo build --release --quiet
bin=target/release/fencebench

echo "fencebench sweep: threads $threads, $repeat x $duration -> $results/<machine>/" >&2
"$bin" run --threads "$threads" --repeat "$repeat" --duration "$duration" \
    --drivers "$drivers" --results-dir "$results" --format markdown "${run_args[@]}" "$@"
"$bin" report "$results"
echo "published: $results/README.md" >&2
