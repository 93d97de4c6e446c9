#!/usr/bin/env bash
# The real kernel's dma-fence under QEMU: boots the system suite's pre-contract kernel
# (6.1 on bookworm) and the newest contract kernel (sid), runs the kernel conformance
# suite in each with the generation pinned (`--expect-generation`), so the suite's exit
# status asserts the generation-specific difference: after signal the old kernel keeps
# vgem's names, the contract kernel returns the detached constants (the check "names
# after signal match the model's generation"). Each guest also runs the vgem tests
# (the `kernel` smoke tests, ignored elsewhere) and a tiny `fencebench run` with the
# kernel row (emulated timings: never published). Packages that cannot be fetched fail
# the step.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

# Tools: QEMU, a static busybox, cpio, depmod (kmod) and xz for the initramfs.
missing=()
for pair in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static cpio:cpio \
    depmod:kmod xz:xz-utils file:file; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if ! file -L "$(command -v busybox 2>/dev/null || echo /nonexistent)" 2>/dev/null | grep -q "statically linked"; then
    missing+=(busybox-static)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "kernel: installing ${missing[*]}"
    apt-get update -q
    apt-get install -y -q "${missing[@]}"
fi

run_args="--impl unprotected,rcu,kernel --workload describe,signal --threads 2 --ops 2000 --repeat 1 --counters off --format markdown"
own=$(. /etc/os-release && echo "$VERSION_CODENAME")

check() {
    local suite=$1 generation=$2 log="target/kernel-vm/$1.log"
    mkdir -p target/kernel-vm
    echo "==> kernel conformance on the $suite kernel (expected: $generation)"
    if ! scripts/kernel-vm.sh --suite "$suite" --expect-generation "$generation" --run "$run_args" \
        2>&1 | tee "$log"; then
        echo "kernel: the $suite kernel failed the kernel conformance suite or the vgem tests (log: $log)" >&2
        exit 1
    fi
}

check "$own" pre-contract
check sid contract
echo "kernel: both generations behave as modelled ($((SECONDS - start)) s)"
