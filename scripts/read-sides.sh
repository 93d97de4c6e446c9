#!/usr/bin/env bash
# The x86-64 disassembly of each hand-written scheme's read-side section as the Callgrind
# `section` benchmark counts it (its gungraun wrapper, into which the section is inlined),
# each headed by the committed count (results/instructions.json) it disassembles. Builds
# the instruction benches first (the release profile: one codegen unit).
#
#   scripts/read-sides.sh           # print the markdown
#   scripts/read-sides.sh --write   # replace docs/read-sides.md from "## Disassembly" on
#
# Rewrite after re-baselining results/instructions.json (.ci/instructions.sh --write) on
# the same tree, so the headings and the code are of one build.
set -euo pipefail
cd "$(dirname "$0")/.."

DOC=docs/read-sides.md
HEADING='## Disassembly'
mode=print
case "${1:-}" in
    "") ;;
    --write) mode=write ;;
    *) echo "usage: $0 [--write]" >&2; exit 2 ;;
esac

command -v objdump >/dev/null || { echo "read-sides: objdump is missing (apt-get install binutils)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "read-sides: python3 is missing" >&2; exit 1; }
bin=$(cargo bench -q -p fencebench --bench instructions --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1)
[ -x "$bin" ] || { echo "read-sides: cannot find the instruction bench binary" >&2; exit 1; }

# count SCHEME : "N instructions, +D over unprotected" from the committed counts.
count() {
    python3 - "$1" <<'EOF'
import json, sys
counts = json.load(open("results/instructions.json"))["counts"]
n, base = counts[sys.argv[1]]["section"], counts["unprotected"]["section"]
print(f"{n:g} instructions" + ("" if sys.argv[1] == "unprotected" else f", {n - base:+g} over unprotected"))
EOF
}

disassembly() {
    for scheme in unprotected rcu rcu_qsbr rcu_detach hazptr srcu srcu_fast; do
        local module="${scheme}_benches" name="${scheme//_/-}" symbol
        # The mangled name: instructions::<scheme>_benches::section::__gungraun_wrapper_mod::section.
        symbol=$(nm "$bin" | awk -v m="${#module}${module}7section22__gungraun_wrapper_mod7section" \
            '!found && $2 ~ /^[tT]$/ && index($3, "N12instructions" m) { print $3; found = 1 }')
        [ -n "$symbol" ] || { echo "read-sides: no section benchmark for $scheme in $bin" >&2; exit 1; }
        printf '### `%s`: %s\n\n```\n' "$name" "$(count "$name")"
        objdump -d --no-show-raw-insn --disassemble="$symbol" "$bin" \
            | sed -n '/>:$/,$p' | sed '1d; /^$/d; /^Disassembly of section/d' | sed "s/<$symbol+\(0x[0-9a-f]*\)>/<+\1>/; s/^ *//"
        printf '```\n\n'
    done
}

if [ "$mode" = print ]; then
    disassembly
    exit 0
fi
grep -qx "$HEADING" "$DOC" || { echo "read-sides: $DOC has no '$HEADING' line" >&2; exit 1; }
new=$(mktemp)
trap 'rm -f "$new"' EXIT
{
    sed "/^$HEADING\$/q" "$DOC"
    echo
    disassembly | sed '$d'
} >"$new"
cat "$new" >"$DOC"
echo "read-sides: $DOC rewritten from $bin"
