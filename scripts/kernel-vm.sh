#!/usr/bin/env bash
# Boots a distribution kernel under QEMU and runs fencebench's kernel conformance suite
# inside it, against the real dma-fence code through vgem and sync_file.
#
#   scripts/kernel-vm.sh [--suite SUITE | --package PKG] [--expect-generation pre-contract|contract]
#                        [--run "fencebench run arguments"]
#   scripts/kernel-vm.sh --count-instructions [--suite SUITE | --package PKG] [--out FILE]
#                        [--run "fencebench run arguments"]
#
# SUITE is a suite of the distribution this machine runs (default: its own, e.g.
# bookworm); PKG a kernel image package name (default: the suite's linux-image-amd64).
# The package source is derived at run time from this machine's apt configuration (its
# URI, with the suite swapped); the apt state for the suite lives in a temporary
# directory, the downloaded package and what is extracted from it are cached under
# target/kernel-vm/<suite>/ (delete that directory to fetch the suite's newest kernel).
#
# The guest is an initramfs: a static fencebench, busybox, and vgem with the modules it
# depends on (from the kernel's modules.dep). It runs the suite, then the tests that are
# ignored without a vgem device (the smoke suite's `kernel::` tests, the conformance and
# race suites' `kernel` cases, each `--ignored`) from static builds of their test binaries.
# It prints their output; this script exits with
# the suite's exit status, or 3 if the guest never reported one or the tests failed. With --run,
# the guest also runs `fencebench run ARGS --impl kernel,...` to show the kernel row in
# the result tables; its timings are emulated (TCG) and must never be published.
#
# --count-instructions counts instead of timing: one vCPU under `-icount shift=0,sleep=off`,
# so the guest's clock advances one nanosecond per executed instruction and every figure
# is an instruction count (user and kernel), the same on any host; and each boot is the
# same (no KASLR, the RTC at a fixed date on the virtual clock, a byte-identical
# initramfs), so two counts of one kernel give the same figures. The guest gets a static
# *release* fencebench, runs the conformance suite, one discarded warm-up pass (boot-time
# work runs in the same virtual time), then `fencebench run --icount` with the one-thread
# workloads whose figures mean something as instructions (default: kernel, unprotected
# and rcu; section, describe, signal; 100000 ops, enough that the timer tick averages
# out; 5 repetitions; --run replaces these), `fencebench kernel-paths` (each kernel
# path's instructions net of the syscall, 100000 operations a path for the same reason), and a function_graph trace of those paths from
# sync_file_ioctl and vgem_fence_signal_ioctl (which calls run: its durations include the
# tracer's own cost, so they are not costs). The files come back over the console and
# are written only when everything succeeded: FILE (default
# target/kernel-vm/<suite>/icount.json), FILE with .paths.json and with .trace.txt.
#
# A kernel without vgem, a guest that does not boot and one that never reports end the
# script with one line on stderr naming the suite and the console log, exit status 3, and
# nothing written. KERNEL_VM_FAULT reproduces each, for .ci/kernel-bad-input.sh:
# `no-vgem` leaves vgem out of the initramfs, `no-init` makes its /init unexecutable (the
# kernel panics: no working init), `hang` makes /init sleep forever (set KERNEL_VM_TIMEOUT,
# seconds, default 300, or 1200 when counting).
set -euo pipefail
cd "$(dirname "$0")/.."

suite=""
package=""
expect=""
run_args=""
count=""
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --suite) suite="$2"; shift 2 ;;
        --package) package="$2"; shift 2 ;;
        --expect-generation) expect="$2"; shift 2 ;;
        --run) run_args="$2"; shift 2 ;;
        --count-instructions) count=1; shift ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "kernel-vm: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$expect" in
    ""|pre-contract|contract) ;;
    *) echo "kernel-vm: --expect-generation must be pre-contract or contract, got '$expect'" >&2; exit 2 ;;
esac

die() { echo "kernel-vm: ${suite:+suite $suite: }$*" >&2; exit 1; }
fault=${KERNEL_VM_FAULT:-}
case "$fault" in
    ""|no-vgem|no-init|hang) ;;
    *) die "KERNEL_VM_FAULT must be no-vgem, no-init or hang, got '$fault'" ;;
esac
[ -z "$out" ] || [ -n "$count" ] || die "--out needs --count-instructions"

for tool in qemu-system-x86_64 busybox cpio dpkg-deb apt-get gzip depmod xz; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install qemu-system-x86 busybox-static cpio kmod xz-utils)"
done
busybox_bin=$(command -v busybox)
file -L "$busybox_bin" 2>/dev/null | grep -q "statically linked" \
    || ldd "$busybox_bin" 2>&1 | grep -q "not a dynamic" \
    || die "$busybox_bin is not static (apt-get install busybox-static)"

# --- The package source, from this machine's own apt configuration -------------------
own_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$own_suite" ] || die "cannot tell this system's suite from /etc/os-release"
suite=${suite:-$own_suite}
case "$suite" in *[!a-z0-9-]*|"") die "invalid suite '$suite'" ;; esac

# The first apt source of the system's own suite: its URI, components and keyring.
source_line=$(
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -e "$f" ] || continue
            # deb822 stanzas: print "URI|Suites|Components|Signed-By" per stanza.
            awk 'BEGIN { RS=""; FS="\n" }
                 { uri=""; suites=""; comps=""; key=""; types="";
                   for (i = 1; i <= NF; i++) {
                       if ($i ~ /^Types:/) { sub(/^Types:[ \t]*/, "", $i); types=$i }
                       if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, " "); uri=u[1] }
                       if ($i ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", $i); suites=$i }
                       if ($i ~ /^Components:/) { sub(/^Components:[ \t]*/, "", $i); comps=$i }
                       if ($i ~ /^Signed-By:/) { sub(/^Signed-By:[ \t]*/, "", $i); key=$i }
                   }
                   if (types ~ /(^| )deb( |$)/) print uri "|" suites "|" comps "|" key }' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -e "$f" ] || continue
            sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) \([^ ]*\) \(.*\)$/\2|\3|\4|/p' "$f"
        done
    } | awk -F'|' -v s="$own_suite" '{ n = split($2, a, " "); for (i = 1; i <= n; i++) if (a[i] == s) { print; exit } }'
)
[ -n "$source_line" ] || die "no apt source for suite $own_suite in /etc/apt; cannot derive the package source"
IFS='|' read -r uri _ components keyring <<<"$source_line"
components=${components:-main}
keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}

cache="target/kernel-vm/$suite"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# --- Fetch the kernel package (cached) ------------------------------------------------
deb=$(ls "$cache"/linux-image-*.deb 2>/dev/null | head -n1 || true)
if [ -n "$deb" ] && [ -e "$cache/complete" ] \
    && [ -z "$package" -o "$(basename "$deb" | cut -d_ -f1)" = "$package" ]; then
    echo "kernel-vm: cached $(basename "$deb")"
else
    rm -f "$cache"/*.deb "$cache/complete"
    rm -rf "$cache/extracted"
    apt_dir=$(mktemp -d)
    trap 'rm -rf "$apt_dir"' EXIT
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc/preferences.d"
    echo "deb [signed-by=$keyring] $uri $suite $components" >"$apt_dir/sources.list"
    apt_opts=(
        -o "Dir::Etc::SourceList=$apt_dir/sources.list"
        -o "Dir::Etc::SourceParts=$apt_dir/etc/none"
        -o "Dir::Etc::Preferences=$apt_dir/etc/preferences"
        -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::State::status=$apt_dir/status"
        -o "Dir::Cache=$apt_dir"
        -o "Dir::Cache::archives=$apt_dir/archives"
        -o "APT::Sandbox::User=root"
        -o "Acquire::Languages=none"
        -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
    )
    touch "$apt_dir/status"
    echo "kernel-vm: apt-get update for suite $suite (temporary state in $apt_dir)"
    apt-get "${apt_opts[@]}" -q update >"$apt_dir/update.log" 2>&1 \
        || { cat "$apt_dir/update.log" >&2; die "cannot fetch the package lists of suite $suite"; }
    if grep -qE "^(W|E):" "$apt_dir/update.log"; then
        grep -E "^(W|E):" "$apt_dir/update.log" >&2
    fi
    if [ -z "$package" ]; then
        package=$(apt-cache "${apt_opts[@]}" depends linux-image-amd64 2>/dev/null \
            | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
        [ -n "$package" ] || die "suite $suite has no linux-image-amd64 depending on a kernel image"
    fi
    echo "kernel-vm: downloading $package from $suite"
    (cd "$cache" && apt-get "${apt_opts[@]}" -q download "$package" >"$apt_dir/download.log" 2>&1) \
        || { cat "$apt_dir/download.log" >&2; die "cannot download $package from suite $suite"; }
    deb=$(ls "$cache"/linux-image-*.deb | head -n1)
    # Newer kernels split the image package: the kernel and its modules are exact-version
    # dependencies (linux-binary-*, linux-modules-*).
    parts=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' \
        | sed -n 's/^ *\(linux-\(binary\|modules\)-[^ ]*\) (= \([^)]*\))$/\1=\3/p')
    for part in $parts; do
        echo "kernel-vm: downloading $part"
        (cd "$cache" && apt-get "${apt_opts[@]}" -q download "$part" >>"$apt_dir/download.log" 2>&1) \
            || { cat "$apt_dir/download.log" >&2; die "cannot download $part from suite $suite"; }
    done
    touch "$cache/complete"
fi

# --- Extract the kernel and vgem's modules (cached) -----------------------------------
ext="$cache/extracted"
if [ ! -s "$ext/vmlinuz" ] || [ ! -s "$ext/modules.order" ]; then
    rm -rf "$ext" "$cache/tree"
    mkdir -p "$ext/modules"
    for d in "$cache"/*.deb; do
        echo "kernel-vm: extracting $(basename "$d")"
        dpkg-deb --fsys-tarfile "$d" | tar -x -C "$cache" --transform 's,^\./,tree/,' \
            --wildcards './boot/vmlinuz-*' './*lib/modules/*/vmlinuz' './*lib/modules/*/modules.*' \
            './*lib/modules/*/kernel/drivers/gpu/drm/*' './*lib/modules/*/kernel/drivers/video/*' \
            './*lib/modules/*/kernel/drivers/i2c/*' './*lib/modules/*/kernel/drivers/dma-buf/*' \
            2>/dev/null || true
    done
    kernel=$(ls "$cache"/tree/boot/vmlinuz-* "$cache"/tree/{,usr/}lib/modules/*/vmlinuz 2>/dev/null | head -n1 || true)
    [ -n "$kernel" ] || die "the $suite kernel packages hold no vmlinuz"
    cp "$kernel" "$ext/vmlinuz"
    moddir=$(ls -d "$cache"/tree/{,usr/}lib/modules/* 2>/dev/null | head -n1 || true)
    [ -n "$moddir" ] || die "the $suite kernel packages hold no modules"
    # Packages leave modules.dep to depmod at install time: generate it for the modules
    # extracted (vgem's dependencies all live in the directories above).
    if [ ! -f "$moddir/modules.dep" ]; then
        depmod -b "${moddir%/lib/modules/*}" "$(basename "$moddir")" 2>/dev/null \
            || die "depmod failed for $(basename "$moddir")"
    fi
    basename "$moddir" >"$ext/release"
    # vgem's line lists every module it needs; load those last-listed first, vgem last.
    line=$(grep -E '(^|/)vgem\.ko(\.xz|\.zst|\.gz)?:' "$moddir/modules.dep") \
        || { rm -rf "$ext"; die "Linux $(basename "$moddir") does not build vgem as a module (no vgem in its modules.dep; not booted, so no console log)"; }
    deps=$(echo "${line#*:}" | tr ' ' '\n' | sed '/^$/d' | tac)
    for m in $deps "${line%%:*}"; do
        src="$moddir/$m"
        [ -f "$src" ] || die "module $m listed in modules.dep is not in the package"
        name=$(basename "$m"); name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
        case "$m" in
            *.xz) xz -dc "$src" >"$ext/modules/$name" ;;
            *.zst) zstd -qdc "$src" >"$ext/modules/$name" ;;
            *.gz) gzip -dc "$src" >"$ext/modules/$name" ;;
            *) cp "$src" "$ext/modules/$name" ;;
        esac
        echo "$name" >>"$ext/modules.order"
    done
    rm -rf "$cache/tree"
fi
release=$(cat "$ext/release")
echo "kernel-vm: kernel $release, modules: $(tr '\n' ' ' <"$ext/modules.order")"

# --- A static fencebench --------------------------------------------------------------
# Unoptimised and without debug info: timings in the guest are emulated and never
# published, and this builds in about a quarter of a release build's CPU time.
# Count mode builds it optimised: instruction counts of debug code would count the debug code.
if [ -n "$count" ]; then
    echo "kernel-vm: building a static release fencebench (target/static)"
    RUSTFLAGS="-Ctarget-feature=+crt-static" CARGO_TARGET_DIR=target/static \
        cargo build -q --release -p fencebench --target x86_64-unknown-linux-gnu
    bin=target/static/x86_64-unknown-linux-gnu/release/fencebench
else
    echo "kernel-vm: building a static fencebench (target/static)"
    RUSTFLAGS="-Ctarget-feature=+crt-static" CARGO_TARGET_DIR=target/static CARGO_PROFILE_DEV_DEBUG=false \
        cargo build -q -p fencebench --target x86_64-unknown-linux-gnu
    bin=target/static/x86_64-unknown-linux-gnu/debug/fencebench
fi
# The test binaries whose vgem tests are ignored where there is no vgem device (the smoke
# suite's `kernel::` tests, the impls conformance and race suites' `kernel` cases): each
# one's path from cargo's machine-readable output, picked by its test target's name (the
# same output also names the fencebench binary, in whichever order cargo finished them).
static_test() {
    local path
    path=$(RUSTFLAGS="-Ctarget-feature=+crt-static" CARGO_TARGET_DIR=target/static CARGO_PROFILE_DEV_DEBUG=false \
        cargo test -q -p "$1" --test "$2" --no-run --target x86_64-unknown-linux-gnu \
        --message-format=json | grep -F "\"kind\":[\"test\"],\"crate_types\":[\"bin\"],\"name\":\"$2\"" \
        | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1)
    [ -x "$path" ] || die "cannot find the static $1 $2 test binary"
    echo "$path"
}
# Count mode skips them: the default mode runs them, and they add minutes to a count.
if [ -z "$count" ]; then
    smoke_tests=$(static_test fencebench smoke)
    conformance_tests=$(static_test fencebench-impls conformance)
    race_tests=$(static_test fencebench-impls race)
fi

# --- The initramfs ----------------------------------------------------------------------
root=$(mktemp -d)
trap 'rm -rf "$root" ${apt_dir:+"$apt_dir"}' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules}
cp "$busybox_bin" "$root/bin/busybox"
cp "$bin" "$root/bin/fencebench"
if [ -z "$count" ]; then
    cp "$smoke_tests" "$root/bin/smoke-tests"
    cp "$conformance_tests" "$root/bin/conformance-tests"
    cp "$race_tests" "$root/bin/race-tests"
fi
if [ -n "$count" ] && [ -z "$run_args" ]; then
    run_args="--impl kernel,unprotected,rcu --workload section,describe,signal --threads 1 --ops 100000 --repeat 5"
fi
printf '%s\n' "$count" >"$root/count"
cp "$ext"/modules/*.ko "$root/modules/"
if [ "$fault" = no-vgem ]; then
    rm "$root/modules/vgem.ko"
    grep -vx vgem.ko "$ext/modules.order" >"$root/modules/order"
else
    cp "$ext/modules.order" "$root/modules/order"
fi
printf '%s\n' "$expect" >"$root/expect"
printf '%s\n' "$run_args" >"$root/run-args"
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in $(cat /modules/order); do
    insmod "/modules/$m" || echo "init: insmod $m failed"
done
i=0
while [ ! -e /dev/dri/card0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /dev/dri/card0 ] || echo "FENCEBENCH-NO-VGEM"
expect=$(cat /expect)
fencebench kernel-check ${expect:+--expect-generation "$expect"}
status=$?
echo "FENCEBENCH-KERNEL-CHECK-EXIT=$status"
count=$(cat /count)
if [ $status -eq 0 ] && [ -n "$count" ]; then
    # Instructions under icount: a warm-up pass first (boot-time work runs in the same
    # virtual time), discarded; then the counted run and the kernel paths, each result
    # file back over the console as base64 of its gzip.
    args="$(cat /run-args) --counters off --pin off --sample-every 0 --format markdown"
    release=$(uname -r)
    echo "== warm-up pass (discarded)"
    fencebench run $args --icount --out /tmp/warmup.json >/dev/null 2>&1
    echo "== fencebench run $args --icount (instructions, not time)"
    fencebench run $args --icount --machine qemu-icount \
        --machine-desc "QEMU TCG, -icount shift=0 (instructions, not time), 1 vCPU, fixed RTC, nokaslr, Linux $release" \
        --out /tmp/result.json
    run=$?
    fencebench kernel-paths --icount --ops 100000 --repeat 3 --out /tmp/paths.json
    paths=$?
    # Which calls each path runs: one pass of the paths under the function_graph tracer,
    # without what interrupts the path (the boot being the same every time, 7.3.4's
    # scheduler tick landed inside FILE_INFO in every run: the interrupt and the
    # preemption after it are not the path's calls).
    t=/sys/kernel/tracing
    mount -t tracefs nodev $t 2>/dev/null
    if [ -w $t/set_graph_function ]; then
        echo sync_file_ioctl >$t/set_graph_function
        echo vgem_fence_signal_ioctl >>$t/set_graph_function
        echo 0 >$t/options/funcgraph-irqs
        echo preempt_schedule_irq >$t/set_graph_notrace
        echo function_graph >$t/current_tracer
        echo >$t/trace
        fencebench kernel-paths --ops 1 --repeat 1 >/dev/null 2>&1
        # Stopped and read before the tracer is switched off: switching clears the buffer.
        echo 0 >$t/tracing_on
        cat $t/trace >/tmp/trace.json
        echo nop >$t/current_tracer
    else
        echo "no function_graph tracer in this kernel" >/tmp/trace.json
    fi
    if [ $run -eq 0 ] && [ $paths -eq 0 ]; then
        for f in result paths trace; do
            echo "FENCEBENCH-$f-BEGIN"
            gzip -c /tmp/$f.json | base64
            echo "FENCEBENCH-$f-END"
        done
    fi
    echo "FENCEBENCH-COUNT-EXIT=$((run + paths))"
    poweroff -f
fi
if [ $status -eq 0 ]; then
    echo "== the vgem tests (ignored without a vgem device)"
    tests=0
    smoke-tests --ignored --test-threads 1 kernel:: || tests=1
    conformance-tests --ignored --exact kernel || tests=1
    race-tests --ignored --exact kernel_describe_racing_signal_stays_valid || tests=1
    echo "FENCEBENCH-KERNEL-TESTS-EXIT=$tests"
fi
args=$(cat /run-args)
if [ $status -eq 0 ] && [ -n "$args" ]; then
    echo "== fencebench run $args (emulated timings: never publish them)"
    fencebench run $args --out /tmp/result.json
    echo "FENCEBENCH-RUN-EXIT=$?"
fi
poweroff -f
EOF
chmod +x "$root/init"
case "$fault" in
    no-init) chmod -x "$root/init" ;;
    hang) printf '#!/bin/busybox sh\nwhile :; do /bin/busybox sleep 3600; done\n' >"$root/init" ;;
esac
initrd="$cache/initramfs-$$.cpio.gz"
# Counting, the same initramfs byte for byte at every boot: its files' times are fixed
# (the guest unpacks it in the counted boot, and its files keep the times).
[ -z "$count" ] || find "$root" -exec touch -h -d 2026-01-01T00:00:00Z {} +
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | gzip -1 -n) >"$initrd"
trap 'rm -rf "$root" "$initrd" ${apt_dir:+"$apt_dir"}' EXIT

# --- Boot ------------------------------------------------------------------------------
# TCG: KVM hangs the guest on the machines this was written on, and TCG needs no device.
# Single-threaded TCG runs both vCPUs on one host thread: with one thread per vCPU a
# 7.2.13 guest once hit a stale int3 left by the kernel's own code patching ("Oops: int3"
# in __schedule, console in the CI log of df5e72e), the cross-modifying-code race
# multi-threaded TCG leaves open. Both vCPUs still interleave, so the racing checks race.
accel=${KERNEL_VM_ACCEL:-tcg,thread=single}
cpus=(-accel "$accel" -smp 2)
limit=${KERNEL_VM_TIMEOUT:-300}
cmdline="console=ttyS0 quiet loglevel=3 panic=-1"
if [ -n "$count" ]; then
    # One vCPU, one instruction per guest nanosecond, no sleeping ahead of the host, and
    # the same boot every time: without KASLR (its random placement of the kernel and of
    # its memory regions moved 6.12.117's create path by up to 2.7 %, boot to boot), with the RTC at a fixed date on the virtual clock (the default, the
    # host's wall time at boot, goes into the guest's wall time and entropy pool: other
    # dates moved rcu's signal by 0.2 %) and the byte-identical initramfs made below.
    cpus=(-accel tcg -icount shift=0,sleep=off -smp 1 -rtc base=2026-01-01T00:00:00,clock=vm)
    cmdline="$cmdline nokaslr"
    limit=${KERNEL_VM_TIMEOUT:-1200}
fi
echo "kernel-vm: booting $release under qemu (${cpus[*]})"
# Its own log in count mode, so a count and a conformance run of one suite can run at once.
log="$cache/console${count:+-icount}.log"
timeout "$limit" qemu-system-x86_64 "${cpus[@]}" -m 1024 \
    -kernel "$ext/vmlinuz" -initrd "$initrd" \
    -append "$cmdline" \
    -nodefaults -nographic -no-reboot -monitor none -serial stdio </dev/null 2>&1 | tr -d '\r' | tee "$log" \
    || true
# The marker may follow the firmware's screen-clearing escapes on the console's first line.
if grep -q 'FENCEBENCH-NO-VGEM$' "$log"; then
    echo "kernel-vm: suite $suite: the guest has no vgem device (Linux $release: vgem missing or not loaded; console: $log)" >&2
    exit 3
fi
# Not anchored: the first kernel line may follow the firmware's screen-clearing escapes.
if grep -qE '\[ *[0-9.]+\] (Kernel panic|Oops:|BUG:)' "$log"; then
    echo "kernel-vm: suite $suite: the guest kernel crashed ($(grep -m1 -oE '(Kernel panic|Oops:|BUG:).*' "$log"); console: $log)" >&2
    exit 3
fi
status=$(sed -n 's/^FENCEBENCH-KERNEL-CHECK-EXIT=\([0-9]*\)$/\1/p' "$log" | tail -n1)
if [ -z "$status" ]; then
    echo "kernel-vm: suite $suite: the guest never reported the suite's exit status (it did not boot, or hung; console: $log)" >&2
    exit 3
fi
if [ -n "$count" ]; then
    [ "$status" -eq 0 ] || { echo "kernel-vm: suite $suite: the kernel conformance suite failed (console: $log)" >&2; exit 3; }
    grep -q '^FENCEBENCH-COUNT-EXIT=0$' "$log" \
        || { echo "kernel-vm: suite $suite: the guest's counted run failed or never reported (console: $log)" >&2; exit 3; }
    out=${out:-$cache/icount.json}
    paths_out=${out%.json}.paths.json
    mkdir -p "$(dirname "$out")"
    # Decoded into temporary files first: a torn transfer leaves no result behind.
    for f in result paths trace; do
        sed -n "/^FENCEBENCH-$f-BEGIN\$/,/^FENCEBENCH-$f-END\$/p" "$log" | sed '1d;$d' \
            | base64 -d | gzip -dc >"$out.$f.tmp" 2>/dev/null && [ -s "$out.$f.tmp" ] \
            || { rm -f "$out".*.tmp; echo "kernel-vm: suite $suite: the guest's $f file did not come back whole (console: $log)" >&2; exit 3; }
    done
    mv "$out.result.tmp" "$out"
    mv "$out.paths.tmp" "$paths_out"
    mv "$out.trace.tmp" "${out%.json}.trace.txt"
    echo "kernel-vm: instruction counts of Linux $release written to $out and $paths_out"
    exit 0
fi
if [ "$status" -eq 0 ]; then
    grep -q '^FENCEBENCH-KERNEL-TESTS-EXIT=0$' "$log" \
        || { echo "kernel-vm: the guest's vgem tests failed (console: $log)" >&2; exit 3; }
fi
if [ -n "$run_args" ]; then
    grep -q '^FENCEBENCH-RUN-EXIT=0$' "$log" || { echo "kernel-vm: the guest's fencebench run failed" >&2; exit 3; }
fi
exit "$status"
