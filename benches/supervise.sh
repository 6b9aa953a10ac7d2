#!/usr/bin/env bash
# Times `guard supervise` against the same commands unsupervised, interleaved (run 1
# of each, then run 2 of each, …) with scripts/interleave.py, unpinned and pinned to
# one CPU (taskset -c 1), and samples the supervisor's peak RSS. Prints Markdown tables.
#
#   benches/supervise.sh [--runs N] [--cargo-runs N] [--skip-cargo]
#
# Environment:
#   GUARD        the guard to measure (default: target/release/guard; build it first)
#   BASE_GUARD   another guard to compare with, e.g. one built from an older commit
#   CARGO_HOME, RUSTUP_HOME   for the cargo build workload (offline; its crates must be
#                in the local registry cache: libc, thiserror, serde, serde_json)
#
# Each supervised command runs as `GUARD supervise -- sh -c '…'`; the bare command is the
# same `sh -c '…'`. GUARD_SUPERVISE_ENGINE=ptrace selects the full-ptrace engine of the
# same binary (a third column, "full ptrace").
set -euo pipefail
cd "$(dirname "$0")/.."
runs=7
cargo_runs=3
skip_cargo=
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) runs=$2; shift 2 ;;
    --cargo-runs) cargo_runs=$2; shift 2 ;;
    --skip-cargo) skip_cargo=1; shift ;;
    *) echo "usage: $0 [--runs N] [--cargo-runs N] [--skip-cargo]" >&2; exit 2 ;;
    esac
done
guard=$(realpath "${GUARD:-target/release/guard}")
base=${BASE_GUARD:+$(realpath "$BASE_GUARD")}
interleave="python3 scripts/interleave.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

true_loop='i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done'
fork_loop='i=0; while [ $i -lt 1000 ]; do (:); i=$((i+1)); done'
printf '%s\n' "$true_loop" > "$work/true.sh"
printf '%s\n' "$fork_loop" > "$work/fork.sh"

# A small crate with a few registry dependencies, built clean each time.
mkdir -p "$work/crate/src"
cat > "$work/crate/Cargo.toml" <<'TOML'
[package]
name = "bench-crate"
version = "0.1.0"
edition = "2021"

[dependencies]
libc = "0.2"
thiserror = "2"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
TOML
cat > "$work/crate/src/main.rs" <<'RS'
#[derive(serde::Serialize, serde::Deserialize, Debug)]
struct Point { x: i32, y: i32 }
#[derive(thiserror::Error, Debug)]
#[error("bad point")]
struct Bad;
fn main() {
    let p: Point = serde_json::from_str(r#"{"x":1,"y":2}"#).unwrap();
    println!("{p:?} {} {}", unsafe { libc::getpid() }, Bad);
}
RS
(cd "$work/crate" && cargo generate-lockfile --offline -q && cargo build --offline -q && rm -rf target)
build="cd $work/crate && rm -rf target && cargo build --offline -q"

# Runs one workload: bare, supervised (fast), the same binary's full ptrace engine, and
# BASE_GUARD when given; $1 = label, $2 = pin prefix ("" or "taskset -c 1"), $3 = runs,
# $4 = the shell command.
row() {
    local label=$1 pin=$2 n=$3 cmd=$4
    local q
    q=$(printf '%q' "$cmd")
    local cmds=("$pin sh -c $q" "$pin $guard supervise -- sh -c $q"
        "env GUARD_SUPERVISE_ENGINE=ptrace $pin $guard supervise -- sh -c $q")
    [ -n "$base" ] && cmds+=("$pin $base supervise -- sh -c $q")
    echo "#### $label${pin:+ (pinned: $pin)}"
    echo
    $interleave --runs "$n" --warmup 1 "${cmds[@]}"
    echo
}

echo "Columns: bare; guard supervise (fast engine); the same guard with GUARD_SUPERVISE_ENGINE=ptrace${base:+; $base}"
echo
for pin in "" "taskset -c 1"; do
    row "sh loop: 1000 x /bin/true" "$pin" "$runs" "sh $work/true.sh"
    row "sh loop: 1000 x subshell fork, no exec" "$pin" "$runs" "sh $work/fork.sh"
    row "guard supervise -- true (start-up)" "$pin" "$runs" "true"
    if [ -z "$skip_cargo" ]; then
        row "cargo build, clean (libc, thiserror, serde, serde_json)" "$pin" "$cargo_runs" "$build"
    fi
done

# Peak RSS (VmHWM) of the supervisor itself, sampled while it runs.
peak() {
    "$@" > /dev/null 2>&1 &
    local pid=$! kib=0 now
    while kill -0 "$pid" 2>/dev/null; do
        now=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        [ -n "$now" ] && [ "$now" -gt "$kib" ] && kib=$now
        sleep 0.02
    done
    wait "$pid" || true
    echo "$kib"
}
echo "#### Supervisor peak RSS (VmHWM)"
echo
echo "| workload | fast | full ptrace |"
echo "|---|---:|---:|"
echo "| sh loop: 1000 x /bin/true | $(peak "$guard" supervise -- sh "$work/true.sh") KiB | $(GUARD_SUPERVISE_ENGINE=ptrace peak "$guard" supervise -- sh "$work/true.sh") KiB |"
if [ -z "$skip_cargo" ]; then
    echo "| cargo build, clean | $(peak "$guard" supervise -- sh -c "$build") KiB | $(GUARD_SUPERVISE_ENGINE=ptrace peak "$guard" supervise -- sh -c "$build") KiB |"
fi
