#!/usr/bin/env bash
# Mutation testing of the reclamation code with cargo-mutants (docs/mutants.md).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/mutants.sh [FILE...] [--in-diff DIFF] [--shard K/N] [--timeout S]
                          [--build-timeout S] [--no-loom] [--list] [--no-write]

Runs cargo-mutants (installed first, with `cargo install --locked`, when the pinned
version is missing) over the reclamation files, each with the suites that can catch its
mutants, and writes each file's counts (caught, timeout, missed, unviable, excluded as
equivalent), with the date and commit, to results/mutants/<file>.txt.

Two passes, so the slow suite runs only where the fast ones missed:
  1. every file: `cargo test -p fencebench-impls --lib --test conformance
     --test mutants_killed --test race` (race with FENCEBENCH_RACE_ROUNDS, default 5);
  2. the mutants pass 1 missed, in files loom compiles (all but reclaim/process/):
     the loom models that exercise the file, `--cfg fencebench_loom`, release.
A mutant is missed only if it survives both. Excluded mutants (equivalent ones, each
with its reason) are listed in .cargo/mutants.toml.

  FILE             a file of the list below (default: all of them)
  --in-diff DIFF   only the mutants in lines DIFF (a `git diff`) touches; writes
                   no result file (.ci/mutants-diff.sh uses it)
  --shard K/N      only shard K of N (0-based) of each pass's mutants; writes no
                   result file
  --timeout S      test timeout per mutant and pass, seconds (default 120)
  --build-timeout S  build timeout per mutant, seconds (default 300)
  --no-loom        pass 1 only
  --list           list the mutants each file would get, build nothing
  --no-write       print the counts, write no result file
  -h, --help       this text

Each mutant builds in a copy of the tree with CARGO_TARGET_DIR target (pass 1) or
target/loom (pass 2, as .ci/run's loom step), so the dependencies the ordinary builds
compiled are reused; each run adds the copies' own crates there (`cargo clean` removes
them). cargo-mutants' logs go to target/mutants/<file>/{pass1,pass2}/mutants.out. Exits non-zero
when a mutant survives both passes, or a baseline fails. Run it under `nice` on a shared
machine.

Files:
USAGE
    printf '  %s\n' "${ALL_FILES[@]}"
}

# The reclamation code: mechanisms, the deferred reclaimer, the reader registry, the fence
# model's section/signal/retire path, the pool and the published pointer.
ALL_FILES=(
    impls/src/reclaim/process/deferred.rs
    impls/src/reclaim/registry.rs
    impls/src/memory/published.rs
    impls/src/reclaim/rcu.rs
    impls/src/reclaim/qsbr.rs
    impls/src/reclaim/srcu.rs
    impls/src/reclaim/hazptr.rs
    impls/src/model/fence.rs
    impls/src/model/fence/signal.rs
    impls/src/memory/pool.rs
)
MUTANTS_VERSION=27.1.0

die() { echo "mutants.sh: $*" >&2; exit 2; }
need() { [ $# -ge 2 ] || die "$1 needs a value"; }

files=() in_diff="" shard="" timeout=120 build_timeout=300 loom=1 list="" write=1
while [ $# -gt 0 ]; do
    case "$1" in
        --in-diff) need "$@"; in_diff=$(realpath "$2"); write=""; shift 2 ;;
        --shard) need "$@"; shard=$2; write=""; shift 2 ;;
        --timeout) need "$@"; timeout=$2; shift 2 ;;
        --build-timeout) need "$@"; build_timeout=$2; shift 2 ;;
        --no-loom) loom=""; shift ;;
        --list) list=1; shift ;;
        --no-write) write=""; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) die "unknown option '$1' (try --help)" ;;
        *) files+=("$1"); shift ;;
    esac
done
cd "$(dirname "$0")/.."
[ ${#files[@]} -gt 0 ] || files=("${ALL_FILES[@]}")
for f in "${files[@]}"; do
    printf '%s\n' "${ALL_FILES[@]}" | grep -qxF "$f" || die "'$f' is not one of the listed files (try --help)"
done
[ -z "$in_diff" ] || [ -r "$in_diff" ] || die "cannot read the diff '$in_diff'"

if ! cargo mutants --version 2>/dev/null | grep -qxF "cargo-mutants $MUTANTS_VERSION"; then
    echo "mutants.sh: installing cargo-mutants $MUTANTS_VERSION" >&2
    cargo install --locked --quiet cargo-mutants --version "$MUTANTS_VERSION" >&2 \
        || die "cargo install cargo-mutants $MUTANTS_VERSION failed"
fi

export FENCEBENCH_RACE_ROUNDS=${FENCEBENCH_RACE_ROUNDS:-5}
PASS1_TESTS=(--lib --test conformance --test mutants_killed --test race)
# --release as a cargo argument, so the build phase builds what the test phase runs.
PASS2_TESTS=(--test loom --)

# The loom models that exercise each file (test-name filters); none: all of them.
loom_filters() {
    case $1 in
        impls/src/reclaim/registry.rs) echo "rcu qsbr" ;;
        impls/src/memory/published.rs) echo "get_rcu_safe" ;;
        impls/src/reclaim/rcu.rs) echo "rcu" ;;
        impls/src/reclaim/qsbr.rs) echo "qsbr" ;;
        impls/src/reclaim/srcu.rs) echo "srcu" ;;
        impls/src/reclaim/hazptr.rs) echo "hazptr" ;;
        impls/src/model/fence.rs | impls/src/model/fence/signal.rs) echo "fence_model" ;;
        *) echo "" ;;
    esac
}
commit=$(git rev-parse --short=12 HEAD)
[ -z "$(git status --porcelain -- impls .cargo)" ] || commit="$commit-dirty"

slug() { local s=${1#impls/src/}; s=${s%.rs}; echo "${s//\//-}"; }

# A regex matching exactly the mutant names (one a line) on stdin.
exact_re() { sed -e 's/[][\.*^$+?(){}|]/\\&/g' -e 's/.*/^&$/' | paste -sd'|'; }

# count DIR KIND: mutants of that outcome in a cargo-mutants output directory.
count() { lines "$1/mutants.out/$2.txt"; }
lines() { if [ -f "$1" ]; then grep -c . "$1" || true; else echo 0; fi; }

# mutants ARGS...: cargo-mutants on the impls crate with the common options; its exit
# status, less "some mutant missed" (2) and "some timed out" (3), which the counts report.
mutants() {
    local rc=0
    cargo mutants -p fencebench-impls --no-shuffle -j 1 --timeout "$timeout" \
        --build-timeout "$build_timeout" ${shard:+--shard "$shard"} \
        ${in_diff:+--in-diff "$in_diff"} "$@" || rc=$?
    case $rc in 0|2|3) return 0 ;; *) return $rc ;; esac
}

# The diff names no mutant of these files: cargo-mutants reports that as an error.
in_diff_has_mutants() {
    [ -z "$in_diff" ] && return 0
    cargo mutants -p fencebench-impls --list --in-diff "$in_diff" --file "$1" 2>/dev/null | grep -q .
}

survivors=0
for f in "${files[@]}"; do
    name=$(slug "$f")
    out=target/mutants/$name
    if [ -n "$list" ]; then
        cargo mutants -p fencebench-impls --list --file "$f" ${in_diff:+--in-diff "$in_diff"} || true
        continue
    fi
    if ! in_diff_has_mutants "$f"; then
        echo "mutants.sh: $f: no mutant in the diff" >&2
        continue
    fi
    start=$SECONDS
    rm -rf "$out"
    mkdir -p "$out/pass1" "$out/pass2"
    echo "mutants.sh: $f: pass 1 (${PASS1_TESTS[*]})" >&2
    CARGO_TARGET_DIR=$PWD/target mutants --file "$f" -o "$out/pass1" \
        -- "${PASS1_TESTS[@]}" || die "$f: cargo-mutants failed in pass 1 (see $out/pass1/mutants.out)"
    missed1=$(count "$out/pass1" missed)
    caught=$(count "$out/pass1" caught) to=$(count "$out/pass1" timeout)
    unviable=$(count "$out/pass1" unviable)
    missed_list=$out/pass1/mutants.out/missed.txt
    passes="pass 1: --lib, conformance, mutants_killed, race (FENCEBENCH_RACE_ROUNDS=$FENCEBENCH_RACE_ROUNDS)"
    if [ -n "$loom" ] && [ "$missed1" -gt 0 ] && [[ $f != impls/src/reclaim/process/* ]]; then
        filters=$(loom_filters "$f")
        echo "mutants.sh: $f: pass 2 (loom ${filters:-all models}) on the $missed1 missed" >&2
        re=$(exact_re <"$missed_list")
        # Not sharded again: pass 1's shard already chose these.
        shard="" in_diff="" RUSTFLAGS="--cfg fencebench_loom" \
            CARGO_TARGET_DIR=$PWD/target/loom \
            mutants --file "$f" --re "$re" --cargo-arg=--release -o "$out/pass2" -- "${PASS2_TESTS[@]}" $(loom_filters "$f") \
            || die "$f: cargo-mutants failed in pass 2 (see $out/pass2/mutants.out)"
        caught=$((caught + $(count "$out/pass2" caught)))
        to=$((to + $(count "$out/pass2" timeout)))
        unviable=$((unviable + $(count "$out/pass2" unviable)))
        missed_list=$out/pass2/mutants.out/missed.txt
        passes="$passes; pass 2 on those missed: loom (release) ${filters:-all models}"
    fi
    missed=$(lines "$missed_list")
    survivors=$((survivors + missed))
    total=$(cargo mutants -p fencebench-impls --list --file "$f" | grep -c . || true)
    unfiltered=$(cargo mutants -p fencebench-impls --list --file "$f" --no-config | grep -c . || true)
    tested=$((caught + to + missed))
    report=$(
        echo "# cargo-mutants $MUTANTS_VERSION on $f (scripts/mutants.sh)"
        echo "commit: $commit"
        echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
        echo "wall: $((SECONDS - start)) s, one job, under nice on a shared 2-core machine"
        echo "suites: $passes"
        echo "mutants: $total ($((unfiltered - total)) more excluded as equivalent in .cargo/mutants.toml)"
        echo "caught: $caught"
        echo "timeout: $to"
        echo "missed: $missed"
        echo "unviable: $unviable"
        [ "$tested" -eq 0 ] || echo "score: $(( (caught + to) * 100 / tested )) % (caught or timed out, of those that built)"
        [ "$missed" -eq 0 ] || { echo "missed mutants:"; sed 's/^/  /' "$missed_list"; }
    )
    echo "$report"
    if [ -n "$write" ]; then
        mkdir -p results/mutants
        echo "$report" >"results/mutants/$name.txt"
    fi
done
[ "$survivors" -eq 0 ] || { echo "mutants.sh: $survivors mutant(s) survived (listed above)" >&2; exit 1; }
