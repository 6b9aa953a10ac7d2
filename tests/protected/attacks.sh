#!/usr/bin/env bash
# Replays, as an unprivileged user, every way a security review made a two-person
# command run without a second person (issue: "out of the agent's reach"), against a
# protected install made by `guard setup`.
#
# Run as root inside a private mount namespace (`unshare -m --propagation private`):
# /etc is a copy, and /var/lib, /usr/local/bin and /home are empty tmpfs mounts, so
# nothing of the machine's own files is touched. Usage: attacks.sh GUARD SCRATCH
#
# Prints one line per check: `PASS name` or `FAIL name: what happened`; the test that
# runs it requires every check to pass.
set -u
G=$1
T=$2

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
check() { # name, condition (a command), what happened
    if eval "$2"; then pass "$1"; else fail "$1" "$3"; fi
}

# ---------------------------------------------------------------- the machine
cp -a /etc "$T/etc" && mount --bind "$T/etc" /etc || { fail setup "cannot copy /etc"; exit 1; }
for d in /var/lib /usr/local/bin /usr/local/lib /home; do mount -t tmpfs tmpfs "$d" || { fail setup "cannot mount $d"; exit 1; }; done
echo 'alice:x:2001:2001::/home/alice:/bin/bash' >>/etc/passwd
echo 'bob:x:2002:2002::/home/bob:/bin/bash' >>/etc/passwd
echo 'alice:x:2001:' >>/etc/group
echo 'bob:x:2002:' >>/etc/group
for u in alice bob; do
    mkdir -p /home/$u/.ssh
    ssh-keygen -q -t ed25519 -N '' -C $u -f /home/$u/.ssh/id_ed25519
done
ssh-keygen -q -t ed25519 -N '' -C bob2 -f /home/bob/.ssh/second
chown -R 2001:2001 /home/alice
chown -R 2002:2002 /home/bob
mkdir -p "$T/marks" && chmod 1777 "$T/marks" "$T"
cat >/usr/local/bin/terraform <<EOF
#!/bin/sh
echo "\$*" >>"$T/marks/ran"
EOF
chmod 755 /usr/local/bin/terraform

"$G" setup --shims >"$T/setup.out" 2>&1
check setup-installs '[ $? -eq 0 ] && [ -g /usr/local/bin/guard ]' "$(cat "$T/setup.out")"
cat >/etc/guard/config.toml <<EOF
lock = true
[approvals]
allowed_signers = "/etc/guard/allowed_signers"
[breaker]
max_refusals = 4
[principals]
alice = "alice@example.com"
bob = "bob@example.com"
EOF
{
    echo "alice@example.com $(cat /home/alice/.ssh/id_ed25519.pub)"
    echo "bob@example.com $(cat /home/bob/.ssh/id_ed25519.pub)"
    echo "bob@example.com $(cat /home/bob/.ssh/second.pub)"
} >/etc/guard/allowed_signers
"$G" setup --shims >"$T/again.out" 2>&1
check setup-is-idempotent '[ $? -eq 0 ] && grep -q "^lock = true" /etc/guard/config.toml && grep -q "^alice" /etc/guard/allowed_signers' "$(cat "$T/again.out")"
"$G" setup --check >"$T/check.out" 2>&1
check setup-check-clean '[ $? -eq 0 ]' "$(cat "$T/check.out")"
chmod 0644 /var/lib/guard
"$G" setup --check >"$T/check.out" 2>&1
rc=$?
check setup-check-names-the-fix '[ $rc -eq 1 ] && grep -q "sudo chmod 2770 /var/lib/guard" "$T/check.out"' "rc=$rc: $(cat "$T/check.out")"
"$G" setup >/dev/null 2>&1

as() { # user, command...
    local u=$1 id
    shift
    id=$(id -u "$u")
    (cd "/home/$u" && setpriv --reuid="$id" --regid="$id" --clear-groups \
        env -i HOME="/home/$u" PATH=/usr/local/bin:/usr/bin:/bin "$@")
}
ran() { [ -f "$T/marks/ran" ] && grep -c destroy "$T/marks/ran" || echo 0; }
code_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])'; }

# ---------------------------------------------------------------- privileges
out=$(as alice guard -- sh -c 'grep ^Gid: /proc/self/status; cat /var/lib/guard/audit.jsonl' 2>&1)
check child-has-the-users-groups 'echo "$out" | grep -Eq "^Gid:\s+2001\s+2001\s+2001\s+2001$"' "$out"
check child-cannot-read-state 'echo "$out" | grep -q "Permission denied"' "$out"
out=$(as alice cat /var/lib/guard/audit.jsonl 2>&1)
check user-cannot-read-state 'echo "$out" | grep -q "Permission denied"' "$out"

# ---------------------------------------------------------------- shims for login shells
out=$(as alice bash -lc 'command -v terraform; terraform destroy' 2>&1)
check login-shell-finds-the-shim 'echo "$out" | grep -q "^/usr/local/lib/guard/shims/terraform$"' "$out"
check shim-refuses-in-a-login-shell '[ "$(ran)" = 0 ] && echo "$out" | grep -q "two-person"' "$out"

# ---------------------------------------------------------------- 1. replay
code=$(as alice guard request --json -- terraform destroy | code_of)
token=$(as bob guard approve --yes --key /home/bob/.ssh/id_ed25519 "$code" 2>"$T/approve.err")
check bob-approves '[ -n "$token" ]' "$(cat "$T/approve.err")"
out=$(as alice guard --approval "$token" -- terraform destroy 2>&1)
check approved-runs-once '[ "$(ran)" = 1 ]' "$out"
out=$(as alice env XDG_STATE_HOME=/home/alice/fresh GUARD_SYSTEM_CONFIG=/home/alice/x.toml guard --approval "$token" -- terraform destroy 2>&1)
check replay-with-a-fresh-state-dir-refused '[ "$(ran)" = 1 ] && echo "$out" | grep -q "already used"' "$out"
as alice rm -f /var/lib/guard/approvals.jsonl 2>/dev/null
as alice truncate -s0 /var/lib/guard/approvals.jsonl 2>/dev/null
out=$(as alice guard --approval "$token" -- terraform destroy 2>&1)
check replay-after-deleting-the-ledger-refused '[ "$(ran)" = 1 ] && echo "$out" | grep -q "already used"' "$out"

# ---------------------------------------------------------------- 2. self-approval
code=$(as alice guard request --json -- terraform destroy | code_of)
out=$(as alice guard approve --yes --key /home/alice/.ssh/id_ed25519 "$code" 2>&1)
check approve-refuses-own-request 'echo "$out" | grep -q "your own request"' "$out"
# Sign it anyway, with the key moved out of ~/.ssh and no agent.
as alice sh -c 'mkdir -p ~/hidden && mv ~/.ssh/id_ed25519* ~/hidden/'
forged=$(as alice env SSH_AUTH_SOCK= python3 - "$code" <<'PY'
import base64, json, subprocess, sys
body = sys.argv[1].split(".", 1)[1]
req = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
sig = subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "guard-approval", "-f",
                      "/home/alice/hidden/id_ed25519"], input=req.encode(),
                     capture_output=True, check=True).stdout.decode()
tok = json.dumps({"request": req, "signature": sig}).encode()
print("guard-approval-v1." + base64.urlsafe_b64encode(tok).decode().rstrip("="))
PY
)
out=$(as alice env SSH_AUTH_SOCK= guard --approval "$forged" -- terraform destroy 2>&1)
check self-signed-token-refused '[ "$(ran)" = 1 ] && echo "$out" | grep -q "self-approval refused"' "$out"
# Two keys of one person are one approver when two are required.
sed -i 's/^\[approvals\]$/[approvals]\nrequired = 2/' /etc/guard/config.toml
code=$(as alice guard request --json -- terraform destroy | code_of)
t1=$(as bob guard approve --yes --key /home/bob/.ssh/id_ed25519 "$code" 2>/dev/null)
t2=$(as bob guard approve --yes --key /home/bob/.ssh/second "$code" 2>/dev/null)
out=$(as alice guard --approval "$t1" --approval "$t2" -- terraform destroy 2>&1)
check one-person-two-keys-is-one-approver '[ "$(ran)" = 1 ] && echo "$out" | grep -q "1 of 2 required"' "$out"
sed -i '/^required = 2$/d' /etc/guard/config.toml

# ---------------------------------------------------------------- 3. a FIFO for the hook
as alice mkfifo /var/lib/guard/breaker.json 2>/dev/null
as alice sh -c 'mkdir -p ~/.local/state/guard && rm -f ~/.local/state/guard/breaker.json && mkfifo ~/.local/state/guard/breaker.json'
payload='{"session_id":"s1","cwd":"/home/alice","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"terraform destroy -auto-approve"}}'
start=$(date +%s)
out=$(echo "$payload" | as alice timeout 20 guard hook claude-code 2>&1)
took=$(( $(date +%s) - start ))
check hook-answers-deny-at-once 'echo "$out" | grep -q "\"deny\"" && [ "$took" -lt 10 ]' "took ${took}s: $out"

# ---------------------------------------------------------------- 4. the breaker
for _ in 1 2 3 4 5; do as alice guard --non-interactive -- terraform destroy >/dev/null 2>&1; done
out=$(as alice guard breaker status --json 2>&1)
check breaker-opens 'echo "$out" | grep -q "\"open\":true"' "$out"
as alice rm -f /var/lib/guard/breaker.json /var/lib/guard/audit.jsonl 2>/dev/null
out=$(printf 'reset\n' | as alice script -qec 'guard breaker reset' /dev/null 2>&1)
check pty-reset-refused 'echo "$out" | grep -q "only an approver" ' "$out"
out=$(as alice env GUARD_NOW=9999999999 guard breaker status --json 2>&1)
check breaker-stays-open 'echo "$out" | grep -q "\"open\":true"' "$out"

# ---------------------------------------------------------------- 5. the user file under lock
mkdir -p /home/alice/.config/guard
cat >/home/alice/.config/guard/config.toml <<EOF
[audit]
path = "/home/alice/moved.jsonl"
[breaker]
enabled = false
max_refusals = 100
[plans]
plan_first = false
timeout = "1s"
[approvals]
allowed_signers = "/home/alice/mine"
EOF
chown -R 2001:2001 /home/alice/.config
out=$(as alice guard breaker status --json 2>&1)
check locked-user-file-cannot-weaken 'echo "$out" | grep -q "\"enabled\":true" && echo "$out" | grep -q "\"max_refusals\":4"' "$out"
as alice guard -- true >/dev/null 2>&1
check audit-not-moved '[ ! -e /home/alice/moved.jsonl ]' "the audit log moved"

# ---------------------------------------------------------------- 7. the audit trail
out=$(as alice guard log verify 2>&1)
check log-verifies 'echo "$out" | grep -q "chain intact"' "$out"
head -n 3 /var/lib/guard/audit.jsonl >"$T/cut" && cat "$T/cut" >/var/lib/guard/audit.jsonl
out=$(as alice guard log verify 2>&1)
check cut-log-found 'echo "$out" | grep -q "cut from the end"' "$out"

# ---------------------------------------------------------------- 8. the hook's path
out=$(as alice guard install claude-code 2>&1)
cmd=$(python3 -c 'import json; print(json.load(open("/home/alice/.claude/settings.json"))["hooks"]["PreToolUse"][0]["hooks"][0]["command"])' 2>&1)
check hook-names-the-installed-guard 'echo "$cmd" | grep -q "^/bin/sh -c .* /usr/local/bin/guard$"' "$out / $cmd"

# ---------------------------------------------------------------- doctor
out=$(as alice guard doctor 2>&1)
check doctor-says-protected 'echo "$out" | grep -q "^OK    install   protected"' "$out"
check nothing-ran-but-the-approved '[ "$(ran)" = 1 ]' "$(cat "$T/marks/ran")"
echo DONE
