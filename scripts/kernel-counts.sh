#!/usr/bin/env bash
# The real kernel's dma-fence, counted: instruction counts (instr/op, never time) of four
# distribution kernels under QEMU icount, each with scripts/kernel-vm.sh
# --count-instructions, into DIR (default results/qemu-icount/) as <release>.json (the
# workloads), <release>.paths.json (each kernel path net of the syscall floor) and
# <release>.trace.txt (the function_graph trace of those paths: which calls they run).
#
#   scripts/kernel-counts.sh [--dir DIR] [SUITE...]
#
# SUITEs default to: bookworm (6.1, pre-contract), trixie (6.12, the newest pre-contract
# LTS), sid (the newest 7.2.x) and trixie-backports (the newest 7.3.x); the kernel is
# each suite's linux-image-amd64. The files reach DIR only once every suite has counted:
# a suite that fails stops the script with one line (the suite, what failed, its console
# log) and exit status 1, and DIR is left as it was. Then `fencebench report results` regenerates
# results/README.md's "The real kernel, counted". The host does not matter: icount
# figures are the same on any machine.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=results/qemu-icount
suites=()
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "kernel-counts: unknown argument '$1' (see --help)" >&2; exit 2 ;;
        *) suites+=("$1"); shift ;;
    esac
done
[ ${#suites[@]} -gt 0 ] || suites=(bookworm trixie sid trixie-backports)
mkdir -p target/icount
start=$SECONDS
releases=()
for suite in "${suites[@]}"; do
    t=$SECONDS
    out=target/icount/$suite.json
    log=target/icount/$suite.log
    rm -f "$out" "${out%.json}.paths.json" "${out%.json}.trace.txt"
    scripts/kernel-vm.sh --count-instructions --suite "$suite" --out "$out" >"$log" 2>&1 || {
        # kernel-vm's own last line names the suite and the console log.
        why=$(tail -n 1 "$log" | sed "s/^kernel-vm: //; s/^suite $suite: //")
        echo "kernel-counts: suite $suite: $why; nothing written to $dir (log: $log)" >&2
        exit 1
    }
    releases+=("$(cat "target/kernel-vm/$suite/extracted/release")")
    echo "kernel-counts: $suite: Linux ${releases[-1]} counted ($((SECONDS - t)) s)"
done
mkdir -p "$dir"
for i in "${!suites[@]}"; do
    out=target/icount/${suites[$i]}.json release=${releases[$i]}
    cp "$out" "$dir/$release.json"
    cp "${out%.json}.paths.json" "$dir/$release.paths.json"
    cp "${out%.json}.trace.txt" "$dir/$release.trace.txt"
    echo "kernel-counts: ${suites[$i]}: Linux $release → $dir/$release.json"
done
echo "kernel-counts: ${#suites[@]} kernels in $((SECONDS - start)) s; now: cargo run --release -q -- report results"
