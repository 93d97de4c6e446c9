#!/usr/bin/env bash
# The critcmp workflow end to end on one quick criterion group: `cargo bench -- --save-baseline`
# must be accepted by every bench target and leave a saved baseline behind. Quick settings
# (FENCEBENCH_QUICK_BENCH) keep it to seconds once built; the figures are not kept.
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf target/criterion/is_signaled/unprotected/ci
FENCEBENCH_QUICK_BENCH=1 cargo bench -p fencebench --bench ops -- \
    --save-baseline ci '^is_signaled/unprotected$'
test -s target/criterion/is_signaled/unprotected/ci/estimates.json
# The same invocation from the workspace root without -p: every bench target accepts it.
FENCEBENCH_QUICK_BENCH=1 cargo bench -- --save-baseline ci '^is_signaled/unprotected$'
