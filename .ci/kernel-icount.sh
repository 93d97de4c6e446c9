#!/usr/bin/env bash
# Determinism of the real kernel's instruction counts: boots one contract kernel (sid's
# newest) under QEMU icount (`scripts/kernel-vm.sh --count-instructions`, describe and
# section, one thread, 100000 operations) and fails unless every repetition of every cell
# is within ±0.5 % of its cell's median (nothing of the harness runs inside a window
# under --icount, and each repetition first waits for the kernel's deferred work of the
# one before), the models' section cells within ±1 % (their windows, under 5 million
# instructions, hold one timer tick more or less: up to 0.57 % seen), the kernel row is
# there, and unprotected's describe is within ±1 % of the figure committed in
# results/qemu-icount/ for the same kernel release. The kernel packages are cached under
# target/kernel-vm/ as for .ci/kernel.sh (which installs the tools).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
suite=${ICOUNT_SUITE:-sid}
out=target/kernel-vm/ci-icount.json
log=target/kernel-vm/$suite-icount.log
mkdir -p target/kernel-vm
rm -f "$out"
echo "==> instruction counts on the $suite kernel under QEMU icount"
if ! scripts/kernel-vm.sh --count-instructions --suite "$suite" --out "$out" \
    --run "--impl kernel,unprotected,rcu --workload describe,section --threads 1 --ops 100000 --repeat 3" \
    >"$log" 2>&1; then
    # kernel-vm's own last line names the suite and the console log.
    echo "kernel-icount: $(tail -n 1 "$log" | sed 's/^kernel-vm: //') (log: $log)" >&2
    exit 1
fi
release=$(sed -n 's/.*instruction counts of Linux \([^ ]*\) written.*/\1/p' "$log")
csv=$(cargo run --release -q -p fencebench -- export "$out" --format csv)
# Per cell (workload, implementation): the primary role's figure of every repetition.
figures=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["primary"] == "true" { print $col["workload"], $col["implementation"], $col["icount_instr_per_op"] }' <<<"$csv")
[ -n "$figures" ] || { echo "kernel-icount: $out has no icount figures" >&2; exit 1; }
grep -q '^describe kernel ' <<<"$figures" || { echo "kernel-icount: no kernel row in $out" >&2; exit 1; }
spread=$(awk '{ k = $1 " " $2; n[k]++; v[k, n[k]] = $3 }
    END { for (k in n) { m = n[k]; for (i = 1; i <= m; i++) a[i] = v[k, i]
              # median of the repetitions (insertion sort, m is small)
              for (i = 2; i <= m; i++) { x = a[i]; j = i - 1; while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
              med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
              worst = 0; for (i = 1; i <= m; i++) { d = (a[i] - med) / med; if (d < 0) d = -d; if (d > worst) worst = d }
              printf "%s %.0f %.4f\n", k, med, worst * 100 } }' <<<"$figures" | sort)
echo "$spread" | awk '{ printf "  %-9s %-12s %8s instr/op, repetitions within ±%s %%\n", $1, $2, $3, $4 }'
bad=$(awk '$4 > (($1 == "section" && $2 != "kernel") ? 1 : 0.5)' <<<"$spread")
[ -z "$bad" ] || { echo "kernel-icount: repetitions disagree by more than ±0.5 % (a model's section ±1 %): $bad (log: $log)" >&2; exit 1; }
committed=results/qemu-icount/$release.json
[ -f "$committed" ] || { echo "kernel-icount: no committed counts for Linux $release ($committed)" >&2; exit 1; }
want=$(cargo run --release -q -p fencebench -- export "$committed" --format csv \
    | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["primary"] == "true" && $col["workload"] == "describe" && $col["implementation"] == "unprotected" { print $col["icount_instr_per_op"] }' \
    | sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
got=$(awk '$1 == "describe" && $2 == "unprotected" { print $3 }' <<<"$spread")
[ -n "$want" ] && [ -n "$got" ] || { echo "kernel-icount: no unprotected describe figure to compare ($committed)" >&2; exit 1; }
awk -v g="$got" -v w="$want" 'BEGIN { d = (g - w) / w; if (d < 0) d = -d; exit !(d <= 0.01) }' \
    || { echo "kernel-icount: unprotected describe is $got instr/op, committed $want (more than ±1 %; $committed)" >&2; exit 1; }
echo "kernel-icount: Linux $release counts are deterministic; unprotected describe $got instr/op vs committed $want ($((SECONDS - start)) s)"
