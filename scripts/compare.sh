#!/usr/bin/env bash
# Compares the latest result files of two (or more) machine directories.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/compare.sh [--markdown] DIR_A DIR_B [DIR_C...]

Compares the latest result file in each directory (for example results/vm and
results/h100-host), one table per workload: per threads x implementation, the
median ns/op [min-max] of each, the ratio to the first directory and the workload's
own figures. A change is flagged only where a Mann-Whitney U test over the
repetitions finds it at 95% confidence (Benjamini-Hochberg corrected). Machines
are compared with --allow-different-parameters: their runs may differ.

  --markdown   Markdown table instead of the terminal table
  -h, --help   this text
USAGE
}

format=table
while [ $# -gt 0 ]; do
    case "$1" in
        --markdown) format=markdown; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "compare.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [ $# -lt 2 ]; then
    echo "compare.sh: need at least two result directories (try --help)" >&2
    exit 2
fi

# The directories are relative to the caller, so build from the repo root without cd.
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
exec "$root/target/release/fencebench" compare --allow-different-parameters --format "$format" "$@"
