#!/usr/bin/env bash
# The planted-bug matrix: builds each plant (FENCEBENCH_PLANT, see impls/build.rs) and
# runs the suites that must catch it. Every plant must be caught in every run: a
# race-catchable plant runs the race test RUNS times and must fail every time, on every
# implementation it breaks. Prints one line per plant × catcher.
#
#   .ci/plants.sh               # the matrix: build each plant, run its catchers
#   .ci/plants.sh --only PLANT  # that plant's rows of the matrix only
#   .ci/plants.sh --list        # the plant × suite × test table only; builds and runs nothing
#   .ci/plants.sh --write-docs  # rewrite docs/correctness.md's table from --list
#
# A run counts as a catch only when the test failed for the reason the plant is there
# for: its output must hold the suite's mark of a late read (race: "RACE VIOLATION";
# loom: "late read") or, for a conformance test, the message of the assertion the plant
# targets. Any other failure (a timeout, a build error, a panic elsewhere) is a miss.
#
# The normal run first checks (cheaply) that docs/correctness.md's table, between the
# `plants:begin` and `plants:end` markers, is the --list output, so the documented matrix
# is the one that runs.
set -uo pipefail
cd "$(dirname "$0")/.."

usage="usage: $0 [--only PLANT | --list | --write-docs]"
mode=run
only=
case "${1:-}" in
    "") ;;
    --only) only=${2:?$usage}; grep -q "\"$only\"" impls/build.rs || { echo "$only: not a plant in impls/build.rs" >&2; exit 2; } ;;
    --list) mode=list ;;
    --write-docs) mode=write-docs ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
DOCS=docs/correctness.md

RUNS=${PLANT_RUNS:-5}
# Rounds of the race test per run: it stops at the first violation, so a caught plant
# costs a round or two; a plant that survives them all is a failure. 60: with 30,
# hazptr-check-before-publish (a window of a few instructions) survived 1 run in 5 once,
# on a machine busy with another run.
export FENCEBENCH_RACE_ROUNDS=${PLANT_RACE_ROUNDS:-60}
LOOM_DIR=target/loom
failures=0

# run_test PLANT SUITE TEST MARK : runs one test (exactly) with PLANT compiled in; true
# when it failed with MARK in its output (the failure the plant must cause).
run_test() {
    local plant=$1 suite=$2 test=$3 mark=$4 out rc
    if [ "$suite" = loom ]; then
        out=$(FENCEBENCH_PLANT=$plant RUSTFLAGS="--cfg fencebench_loom" CARGO_TARGET_DIR=$LOOM_DIR \
            timeout 300 cargo test -q -p fencebench-impls --test loom --release -- --exact "$test" 2>&1)
    else
        out=$(FENCEBENCH_PLANT=$plant timeout 300 cargo test -q -p fencebench-impls --test "$suite" \
            -- --exact "$test" 2>&1)
    fi
    rc=$?
    if [ $rc -eq 0 ] || ! grep -q "running 1 test" <<<"$out"; then
        echo "    $suite: $test did not fail (exit $rc)" >&2
        tail -3 <<<"$out" >&2
        return 1
    fi
    if ! grep -qF -- "$mark" <<<"$out"; then
        echo "    $suite: $test failed, but not with \"$mark\" (exit $rc): not a catch" >&2
        tail -3 <<<"$out" >&2
        return 1
    fi
}

# catch PLANT SUITE RUNS MARK TEST... : runs each test RUNS times, a catch being a
# failure with MARK; one table row per test.
catch() {
    local plant=$1 suite=$2 runs=$3 mark=$4
    shift 4
    local t n caught start row
    if [ "$mode" = run ] && [ -n "$only" ] && [ "$plant" != "$only" ]; then
        return
    fi
    for t in "$@"; do
        if [ "$mode" != run ]; then
            printf '| `%s` | %s | `%s` |\n' "$plant" "$suite" "$t"
            continue
        fi
        caught=0
        start=$SECONDS
        for ((n = 1; n <= runs; n++)); do
            if run_test "$plant" "$suite" "$t" "$mark"; then
                caught=$((caught + 1))
            fi
        done
        row=$(printf '| `%s` | %s | `%s` | %d/%d | %ds |' "$plant" "$suite" "$t" "$caught" "$runs" \
            $((SECONDS - start)))
        echo "$row"
        if [ $caught -ne "$runs" ]; then
            echo "PLANT NOT CAUGHT EVERY RUN: $plant by $suite $t ($caught/$runs)" >&2
            failures=$((failures + 1))
        fi
    done
}

race() { local p=$1; shift; catch "$p" race "$RUNS" "RACE VIOLATION" "${@/%/_never_reads_freed_data}"; }
# conformance PLANT MESSAGE TEST... : MESSAGE is the targeted assertion's.
conformance() { local p=$1 m=$2; shift 2; catch "$p" conformance 1 "$m" "$@"; }
loom() { local p=$1; shift; catch "$p" loom 1 "late read" "$@"; }

# The one list of plant × suite × tests that must fail: the run, --list and the docs'
# table all come from it.
matrix() {
race rcu-free-at-once rcu rcu_detach
race rcu-skip-synchronize rcu rcu_detach
race rcu-gp-early rcu rcu_detach
loom rcu-gp-early fence_model_rcu fence_model_rcu_detach
loom rcu-no-reader-barrier rcu_one_reader fence_model_rcu fence_model_rcu_detach
# fence_model_rcu does not expose this one within its preemption bound (3); the others do.
loom rcu-no-writer-barrier rcu_one_reader fence_model_rcu_detach
race qsbr-free-at-once rcu_qsbr
race qsbr-skip-synchronize rcu_qsbr
race qsbr-announce-offline rcu_qsbr
loom qsbr-announce-offline qsbr_one_reader_two_sections
loom qsbr-no-barrier qsbr_offline_then_online
loom qsbr-relaxed-announce qsbr_one_reader_two_sections
race srcu-free-at-once srcu srcu_fast
race srcu-gp-early srcu srcu_fast
loom srcu-gp-early srcu_one_reader fence_model_srcu srcu_fast_one_reader fence_model_srcu_fast
loom srcu-no-reader-barrier srcu_one_reader fence_model_srcu srcu_fast_one_reader fence_model_srcu_fast
race srcu-fast-free-at-once srcu_fast
# fence_model_srcu_fast does not expose this one within its preemption bound (3); the
# plain-protocol models do.
loom srcu-fast-no-heavy srcu_fast_one_reader srcu_fast_one_reader_two_sections
race hazptr-check-before-publish hazptr
loom hazptr-check-before-publish fence_model_hazptr
race hazptr-scan-ignores-hazards hazptr
loom hazptr-scan-ignores-hazards fence_model_hazptr
loom hazptr-scan-no-barrier hazptr_one_reader fence_model_hazptr
race refcount-free-at-signal refcount
race detach-free-before-clear rcu_detach
conformance detach-free-before-clear "the read section used a signalled fence's data" rcu_detach::names
race lock-reader-unlocked lock
# A window of a few instructions between load and get: loom finds it every time, the
# conformance race_signal_callback (which uses get_rcu_safe) only by luck.
loom get-rcu-safe-no-recheck get_rcu_safe_rechecks
race crossbeam-free-at-once rcu_crossbeam
race seize-free-at-once hyaline_seize
race sdd-free-at-once sdd
race haphazard-free-at-once hazptr_haphazard
race arcswap-free-at-once arcswap
}

# The --list table: the run's rows without its caught and time columns.
list() {
    local mode=list
    echo "| plant | suite | test that must fail |"
    echo "|---|---|---|"
    matrix
}

# The table between the markers in $DOCS, markers excluded.
docs_table() {
    awk '/^<!-- plants:end/ { inside = 0 } inside { print } /^<!-- plants:begin/ { inside = 1 }' "$DOCS"
}

markers_ok() {
    [ -f "$DOCS" ] && [ "$(grep -c '^<!-- plants:begin' "$DOCS")" = 1 ] \
        && [ "$(grep -c '^<!-- plants:end' "$DOCS")" = 1 ]
}

case "$mode" in
    list)
        list
        exit 0
        ;;
    write-docs)
        markers_ok || { echo "$DOCS needs one <!-- plants:begin --> and one <!-- plants:end --> line" >&2; exit 1; }
        table=$(list)
        tmp=$(mktemp)
        table=$table awk '
            /^<!-- plants:end/ { print ENVIRON["table"]; inside = 0 }
            !inside { print }
            /^<!-- plants:begin/ { inside = 1 }' "$DOCS" >"$tmp" && cat "$tmp" >"$DOCS"
        rm -f "$tmp"
        echo "$DOCS: plant table rewritten from .ci/plants.sh --list"
        exit 0
        ;;
esac

if ! markers_ok || [ "$(docs_table)" != "$(list)" ]; then
    echo "$DOCS's plant table is not .ci/plants.sh --list's output: run .ci/plants.sh --write-docs and commit it" >&2
    exit 1
fi

echo "| plant | suite | test that must fail | caught | time |"
echo "|---|---|---|---|---|"
matrix

# Back to the real code for whatever runs next.
cargo build -q -p fencebench-impls
if [ $failures -ne 0 ]; then
    echo "$failures plant/suite pairs were not caught every run" >&2
    exit 1
fi
echo "every plant caught in every run"
