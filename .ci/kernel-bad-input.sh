#!/usr/bin/env bash
# Bad input to the kernel counts: a kernel without vgem, a guest that does not boot and
# one that never reports (KERNEL_VM_FAULT no-vgem, no-init, hang; see
# scripts/kernel-vm.sh --help), each through scripts/kernel-counts.sh on one cached suite
# (default sid, ICOUNT_SUITE to change it). Fails unless each case exits non-zero with
# exactly one line on stderr that names the suite and an existing console log, and
# nothing under results/ was written or changed.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
suite=${ICOUNT_SUITE:-sid}
console=target/kernel-vm/$suite/console-icount.log
snapshot() { find results -type f -print0 | sort -z | xargs -0 sha256sum; }
before=$(snapshot)
marker=$(mktemp)
trap 'rm -f "$marker" "$err"' EXIT
err=$(mktemp)
fail() { echo "kernel-bad-input: $*" >&2; exit 1; }
for fault in no-vgem no-init hang; do
    t=$SECONDS
    status=0
    # Only the hang waits for the timeout; the other two end by themselves.
    limit=1200
    [ "$fault" != hang ] || limit=20
    KERNEL_VM_FAULT=$fault KERNEL_VM_TIMEOUT=$limit scripts/kernel-counts.sh "$suite" >/dev/null 2>"$err" \
        || status=$?
    [ "$status" -ne 0 ] || fail "$fault: exit status 0"
    [ "$(wc -l <"$err")" -eq 1 ] || fail "$fault: $(wc -l <"$err") lines on stderr, not one: $(cat "$err")"
    line=$(cat "$err")
    case "$line" in
        *"suite $suite"*"console: "*"$console"*) ;;
        *) fail "$fault: the line names no suite $suite and console $console: $line" ;;
    esac
    [ -s "$console" ] || fail "$fault: no console log at $console"
    case "$fault" in
        no-vgem) want="no vgem device" ;;
        no-init) want="crashed" ;;
        hang) want="never reported" ;;
    esac
    case "$line" in *"$want"*) ;; *) fail "$fault: expected '$want' in: $line" ;; esac
    echo "kernel-bad-input: $fault: exit $status in $((SECONDS - t)) s: $line"
done
[ -z "$(find results -newer "$marker" -print -quit)" ] || fail "a file under results/ was written"
[ "$(snapshot)" = "$before" ] || fail "results/ changed"
echo "kernel-bad-input: 3 faults reported as one line each, results/ untouched ($((SECONDS - start)) s)"
