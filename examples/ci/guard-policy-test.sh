#!/bin/sh
# guard policy test: each FILE holds lines `EXPECTED<TAB>COMMAND`, where EXPECTED is the
# decision guard must give (allow, warn, confirm, two-person, deny) and COMMAND a shell
# string. Blank lines and lines starting with # are skipped. Every command is decided
# in one `guard check --stdin` run; each difference is reported as FILE:LINE, and the
# exit status is 1 if there is any.
set -u
status=0
tab=$(printf '\t')
for file in "$@"; do
    tmp=$(mktemp) || exit 2
    # The line number, expected decision and command of each case.
    awk -F '\t' '!/^[ \t]*(#|$)/ { print NR "\t" $1 "\t" substr($0, index($0, "\t") + 1) }' "$file" > "$tmp"
    cut -f3- "$tmp" | guard check --stdin > "$tmp.out"
    rc=$?
    if [ "$rc" -gt 4 ]; then
        echo "$file: guard check failed (exit $rc)" >&2
        status=1
    fi
    exec 3< "$tmp.out"
    while IFS="$tab" read -r line expected command; do
        IFS= read -r answer <&3 || answer=
        got=$(printf '%s\n' "$answer" | sed -n 's/.*"decision":"\([a-z-]*\)".*/\1/p')
        if [ "$got" != "$expected" ]; then
            echo "$file:$line: expected $expected, guard decided ${got:-nothing}: $command" >&2
            status=1
        fi
    done < "$tmp"
    exec 3<&-
    rm -f "$tmp" "$tmp.out"
done
exit "$status"
