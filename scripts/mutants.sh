#!/usr/bin/env bash
# Mutation testing of the reclamation code with cargo-mutants (docs/mutants.md).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/mutants.sh [FILE...] [--in-diff DIFF] [--shard K/N] [--fast-timeout S]
                          [--timeout S] [--build-timeout S] [--no-loom] [--skip-baseline]
                          [--list] [--no-write]

Runs cargo-mutants (installed first, with `cargo install --locked`, when the pinned
version is missing) over the reclamation files, each with the suites that can catch its
mutants, and writes each file's counts (caught, timeout, missed, unviable, excluded as
equivalent), with the date and commit, to results/mutants/<file>.txt.

Three stages, each on the mutants the stages before missed, so the slow suites run
only where the fast ones cannot decide:
  1. `cargo test -p fencebench-impls --lib --test mutants_killed` (seconds; a stalled
     reclaimer fails within its bound), and for the fence model and the pool, whose
     behaviour the conformance suite pins down, `--test conformance` (seconds too);
  2. `--test conformance --test race` (race with FENCEBENCH_RACE_ROUNDS, default 3);
  3. in files loom compiles (all but reclaim/process/): the loom models that exercise
     the file, `--cfg fencebench_loom`, release.
A mutant is missed only if it survives all three. Excluded mutants (equivalent ones, each
with its reason) are listed in .cargo/mutants.toml.

  FILE             a file of the list below (default: all of them)
  --in-diff DIFF   only the mutants in lines DIFF (a `git diff`) touches; writes
                   no result file (.ci/mutants-diff.sh uses it)
  --shard K/N      only shard K of N (0-based) of each file's mutants; writes no
                   result file
  --fast-timeout S test timeout per mutant in stage 1, seconds (default: five times
                   the stage's baseline, at least 30; 60 with --skip-baseline)
  --timeout S      test timeout per mutant in stages 2 and 3, seconds (default: three
                   times the stage's baseline, at least 240; 240 with --skip-baseline)
  --build-timeout S  build timeout per mutant, seconds (default 300)
  --no-loom        no stage 3
  --skip-baseline  do not first run each stage's suites on the unmutated tree (for CI,
                   which ran them already)
  --list           list the mutants each file would get, build nothing
  --no-write       print the counts, write no result file
  -h, --help       this text

Each mutant builds in a copy of the tree with CARGO_TARGET_DIR target/mutants-build
(stage 3: target/mutants-build/loom), kept between runs so the dependencies build once.
Never the tree's own target: cargo names the copies' crates as the tree's, and a mutant
built there passed for fresh in later ordinary builds, its source files being older. cargo-mutants' logs go to target/mutants/<file>/stage<N>/mutants.out. Exits non-zero
when a mutant survives every stage, or a baseline fails. Run it under `nice` on a shared
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

files=() in_diff="" shard="" fast_timeout="" timeout="" build_timeout=300 loom=1 list="" write=1
baseline=run
while [ $# -gt 0 ]; do
    case "$1" in
        --in-diff) need "$@"; in_diff=$(realpath "$2"); write=""; shift 2 ;;
        --shard) need "$@"; shard=$2; write=""; shift 2 ;;
        --fast-timeout) need "$@"; fast_timeout=$2; shift 2 ;;
        --timeout) need "$@"; timeout=$2; shift 2 ;;
        --build-timeout) need "$@"; build_timeout=$2; shift 2 ;;
        --no-loom) loom=""; shift ;;
        --skip-baseline) baseline=skip; shift ;;
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

export FENCEBENCH_RACE_ROUNDS=${FENCEBENCH_RACE_ROUNDS:-3}
STAGE1_TESTS=(--lib --test mutants_killed)
# The fence model and the pool: their behaviour is what conformance checks, in seconds.
stage1_tests() {
    case $1 in
        impls/src/model/* | impls/src/memory/pool.rs) echo "${STAGE1_TESTS[*]} --test conformance" ;;
        *) echo "${STAGE1_TESTS[*]}" ;;
    esac
}
STAGE2_TESTS=(--test conformance --test race)
# With --release as a cargo argument, so the build phase builds what the test phase runs.
STAGE3_TESTS=(--test loom --)

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

# test_timeout GIVEN FIXED MULTIPLIER MINIMUM: a stage's test timeout options: GIVEN
# seconds when the option was given; else MULTIPLIER times the stage's baseline (its
# suites on the unmutated tree, so a loaded machine's slowness scales it), at least
# MINIMUM; FIXED seconds when the baseline is skipped.
test_timeout() {
    if [ -n "$1" ]; then
        echo "--timeout $1"
    elif [ "$baseline" = skip ]; then
        echo "--timeout $2"
    else
        echo "--timeout-multiplier $3 --minimum-test-timeout $4"
    fi
}
stage1_timeout() { test_timeout "$fast_timeout" 60 5 30; }
later_timeout() { test_timeout "$timeout" 240 3 240; }

# mutants_in DIR FILE RE ARGS...: cargo-mutants on FILE's mutants (only those RE names,
# when given; only $sel_shard and $sel_diff's, when set), the stage's environment ($env)
# and test timeout options ($tmo), output in DIR; its exit status, less "some mutant
# missed" (2) and "some timed out" (3), which the counts report.
mutants_in() {
    local dir=$1 file=$2 re=$3 rc=0
    shift 3
    # shellcheck disable=SC2086 # $tmo is options, split on spaces
    env CARGO_TARGET_DIR="$PWD/target/mutants-build" "${env[@]}" cargo mutants -p fencebench-impls \
        --no-shuffle -j 1 --baseline "$baseline" $tmo --build-timeout "$build_timeout" --file "$file" \
        -o "$dir" ${re:+--re "$re"} ${sel_shard:+--shard "$sel_shard"} \
        ${sel_diff:+--in-diff "$sel_diff"} "$@" || rc=$?
    case $rc in 0|2|3) return 0 ;; *) return $rc ;; esac
}

# The diff names no mutant of these files: cargo-mutants reports that as an error.
in_diff_has_mutants() {
    [ -z "$in_diff" ] && return 0
    cargo mutants -p fencebench-impls --list --in-diff "$in_diff" --file "$1" 2>/dev/null | grep -q .
}

# One run at a time per build directory: two runs' mutant trees are built there under the
# same crate names, so one would test the other's binaries (seen: a mutant reported
# missed by tests it never built).
if [ -z "$list" ]; then
    mkdir -p target
    exec 9>target/mutants-build.lock
    flock -n 9 || die "another mutants.sh run holds target/mutants-build (target/mutants-build.lock)"
fi

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
    caught=0 to=0 unviable=0 passes="" re="" missed_list="" by_stage="" timeouts=""
    for stage in 1 2 3; do
        if [ "$stage" -gt 1 ]; then
            # Only what the stages before missed; none missed: done.
            [ "$(lines "$missed_list")" -gt 0 ] || break
            re=$(exact_re <"$missed_list")
        fi
        case $stage in
            1) # shellcheck disable=SC2207 # test options, split on spaces
               env=() tmo=$(stage1_timeout) args=(-- $(stage1_tests "$f"))
               what="--lib, mutants_killed"
               [[ ${args[*]} != *conformance* ]] || what="$what, conformance" ;;
            2) env=() tmo=$(later_timeout) args=(-- "${STAGE2_TESTS[@]}")
               what="conformance, race (FENCEBENCH_RACE_ROUNDS=$FENCEBENCH_RACE_ROUNDS)" ;;
            3) [ -n "$loom" ] && [[ $f != impls/src/reclaim/process/* ]] || break
               filters=$(loom_filters "$f")
               # shellcheck disable=SC2206 # the filters split on spaces
               env=(RUSTFLAGS="--cfg fencebench_loom" CARGO_TARGET_DIR=$PWD/target/mutants-build/loom)
               tmo=$(later_timeout) args=(--cargo-arg=--release -- "${STAGE3_TESTS[@]}" $filters)
               what="loom, release (${filters:-all models})" ;;
        esac
        echo "mutants.sh: $f: stage $stage: $what${re:+, on the $(lines "$missed_list") missed}" >&2
        dir=$out/stage$stage
        mkdir -p "$dir"
        # Later stages are not sharded or diffed again: stage 1 already chose the mutants.
        sel_shard="" sel_diff=""
        [ "$stage" -gt 1 ] || sel_shard=$shard sel_diff=$in_diff
        mutants_in "$dir" "$f" "$re" "${args[@]}" \
            || die "$f: cargo-mutants failed in stage $stage (see $dir/mutants.out)"
        by_stage="${by_stage:+$by_stage, }stage $stage: $(count "$dir" caught)"
        used=$(grep -o 'test: Some([^)]*)' "$dir/mutants.out/debug.log" 2>/dev/null | tail -1 | sed 's/test: Some(\(.*\))/\1/')
        timeouts="${timeouts:+$timeouts, }stage $stage: ${used:-unknown}"
        caught=$((caught + $(count "$dir" caught)))
        to=$((to + $(count "$dir" timeout)))
        unviable=$((unviable + $(count "$dir" unviable)))
        missed_list=$dir/mutants.out/missed.txt
        passes="${passes:+$passes; then on those missed: }$what"
    done
    missed=$(lines "$missed_list")
    survivors=$((survivors + missed))
    # As selected: the whole file, or its mutants in the diff or shard.
    sel=(--file "$f" ${in_diff:+--in-diff "$in_diff"} ${shard:+--shard "$shard"})
    total=$(cargo mutants -p fencebench-impls --list "${sel[@]}" | grep -c . || true)
    unfiltered=$(cargo mutants -p fencebench-impls --list --no-config "${sel[@]}" | grep -c . || true)
    tested=$((caught + to + missed))
    report=$(
        echo "# cargo-mutants $MUTANTS_VERSION on $f (scripts/mutants.sh)"
        echo "commit: $commit"
        echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
        echo "wall: $((SECONDS - start)) s, one job, under nice on a shared 2-core machine"
        echo "suites: $passes"
        echo "test timeout per mutant: $timeouts"
        echo "mutants: $total ($((unfiltered - total)) more excluded as equivalent in .cargo/mutants.toml)"
        echo "caught: $caught (by $by_stage)"
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
