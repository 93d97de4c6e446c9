#!/usr/bin/env bash
# Instruction counts per operation under Callgrind, and the regression gate against the
# committed counts (results/instructions.json): fails when an implementation's describe
# or read-section count grew by more than 2 % on the same rustc; under another rustc it
# prints the differences and passes. Installs Valgrind (apt) and gungraun-runner at the
# version harness/Cargo.toml pins when they are missing.
#
#   .ci/instructions.sh           # gate
#   .ci/instructions.sh --write   # re-baseline: rewrite results/instructions.json
set -euo pipefail
cd "$(dirname "$0")/.."

mode=check
case "${1:-}" in
    "") ;;
    --write) mode=write ;;
    *) echo "usage: $0 [--write]" >&2; exit 2 ;;
esac

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v valgrind >/dev/null; then
    as_root apt-get update
    as_root apt-get install -y valgrind
fi

version=$(sed -n 's/^gungraun = "=\([0-9.]*\)"$/\1/p' harness/Cargo.toml)
[ -n "$version" ] || { echo "harness/Cargo.toml does not pin gungraun (gungraun = \"=X.Y.Z\")" >&2; exit 2; }
# The runner installs (its own build directory) while the bench builds: the two overlap
# each other's serial stretches (linking, the largest crates).
installing=""
if [ "$(gungraun-runner --version 2>/dev/null)" != "gungraun-runner $version" ]; then
    cargo install --locked gungraun-runner --version "$version" &
    installing=$!
fi
cargo bench -p fencebench --bench instructions --no-run
cargo build --release -q -p fencebench
if [ -n "$installing" ]; then wait "$installing"; fi

summaries=target/gungraun/fencebench/instructions
rm -rf "$summaries"
cargo bench -p fencebench --bench instructions -- --save-summary=json
if [ "$mode" = write ]; then
    cargo run --release -q -p fencebench -- instructions --summaries "$summaries" --write
    cargo run --release -q -p fencebench -- report results
else
    cargo run --release -q -p fencebench -- instructions --summaries "$summaries"
fi
