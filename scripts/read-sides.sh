#!/usr/bin/env bash
# Prints the x86-64 disassembly of each hand-written scheme's read-side section as the
# Callgrind `section` benchmark counts it (its gungraun wrapper, into which the section is
# inlined), in the markdown of docs/read-sides.md's "Disassembly". Builds the instruction
# benches first (the release profile: one codegen unit).
#
#   scripts/read-sides.sh > /tmp/disassembly.md
set -euo pipefail
cd "$(dirname "$0")/.."
command -v objdump >/dev/null || { echo "read-sides: objdump is missing (apt-get install binutils)" >&2; exit 1; }
bin=$(cargo bench -q -p fencebench --bench instructions --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1)
[ -x "$bin" ] || { echo "read-sides: cannot find the instruction bench binary" >&2; exit 1; }
for scheme in unprotected rcu rcu_qsbr rcu_detach hazptr srcu srcu_fast; do
    module="${scheme}_benches"
    # The mangled name: instructions::<scheme>_benches::section::__gungraun_wrapper_mod::section.
    symbol=$(nm "$bin" | awk -v m="${#module}${module}7section22__gungraun_wrapper_mod7section" \
        '!found && $2 ~ /^[tT]$/ && index($3, "N12instructions" m) { print $3; found = 1 }')
    [ -n "$symbol" ] || { echo "read-sides: no section benchmark for $scheme in $bin" >&2; exit 1; }
    printf '### `%s`\n\n```\n' "${scheme//_/-}"
    objdump -d --no-show-raw-insn --disassemble="$symbol" "$bin" \
        | sed -n '/>:$/,$p' | sed '1d; /^$/d; /^Disassembly of section/d' | sed "s/<$symbol+\(0x[0-9a-f]*\)>/<+\1>/; s/^ *//"
    printf '```\n\n'
done
