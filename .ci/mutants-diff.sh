#!/usr/bin/env bash
# CI's mutation testing: cargo-mutants on the mutants in the lines a change touched, in the
# files scripts/mutants.sh covers, with the same suites (docs/mutants.md). The full run is
# scripts/mutants.sh.
#
#   .ci/mutants-diff.sh          # the change: see below
#   .ci/mutants-diff.sh BASE     # the diff from commit BASE to the working tree
#
# The change, on a clone with history: the working tree against the merge base with
# `main` (or `origin/main`) when HEAD is on another branch, so a branch's CI tests
# everything the branch adds; on `main` itself, against HEAD's first parent, so CI after a
# merge or a push tests that commit. Uncommitted edits are part of the change. With no
# such commit (a shallow clone, a first commit) it skips, saying why.
#
# Bounded: when the change has more than MUTANTS_DIFF_MAX mutants (default 8), it tests
# one slice of them (cargo-mutants' --shard), chosen by HEAD's hash, and says so; the
# full run covers the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "mutants-diff: skipped: $*"; exit 0; }
max=${MUTANTS_DIFF_MAX:-8}

if [ $# -ge 1 ]; then
    base=$(git rev-parse --verify -q "$1^{commit}") || { echo "mutants-diff: '$1' is not a commit" >&2; exit 2; }
else
    main=""
    for ref in main origin/main; do
        if git rev-parse --verify -q "$ref^{commit}" >/dev/null; then main=$ref; break; fi
    done
    base=""
    if [ -n "$main" ]; then
        base=$(git merge-base HEAD "$main" 2>/dev/null || true)
    fi
    if [ -z "$base" ] || [ "$base" = "$(git rev-parse HEAD)" ]; then
        base=$(git rev-parse --verify -q 'HEAD^' 2>/dev/null) || skip "no main branch to diff against and HEAD has no parent (shallow clone?)"
    fi
fi

files=$(scripts/mutants.sh --help | sed -n '/^Files:/,$p' | sed -n 's/^  \(impls\/.*\.rs\)$/\1/p')
mkdir -p target/mutants
diff=target/mutants/change.diff
# shellcheck disable=SC2086 # the file list splits on whitespace, as intended
git diff "$base" -- $files >"$diff"
[ -s "$diff" ] || skip "the change (from $(git rev-parse --short "$base")) touches none of the files scripts/mutants.sh covers"

touched=$(git diff --name-only "$base" -- $files | tr '\n' ' ')
n=$(scripts/mutants.sh --list --in-diff "$diff" 2>/dev/null | grep -c . || true)
[ "$n" -gt 0 ] || skip "the change touches $touched but no line with a mutant"
shard=()
if [ "$n" -gt "$max" ]; then
    shards=$(( (n + max - 1) / max ))
    k=$(( 0x$(git rev-parse --short=7 HEAD) % shards ))
    shard=(--shard "$k/$shards")
    echo "mutants-diff: $n mutants in the change ($touched); testing slice $k of $shards (MUTANTS_DIFF_MAX=$max)"
else
    echo "mutants-diff: $n mutants in the change ($touched)"
fi
# The suites passed on the unmodified tree earlier in the same CI run: no baselines.
scripts/mutants.sh --in-diff "$diff" "${shard[@]}" --skip-baseline
