# Shared by the trial scripts (fault-trials.sh, resume-trials.sh): the pggraft binary to try,
# the results directory, two throwaway clusters (`start_server A|B` prints the port), and the
# cleanup that kills a clone still running ($CLONE_PID) and removes the clusters however the
# script ends. Sourced with ROOT, BENCH_NAME and PROFILE set, from the repository root.
# shellcheck shell=bash
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"
command -v python3 >/dev/null || apt_install python3
command -v timeout >/dev/null || die "needs timeout (coreutils)"
BINDIR="$(find_bindir)"

if [ -n "${PGGRAFT_BIN:-}" ]; then
    PGGRAFT="$PGGRAFT_BIN"
else
    echo "== building pggraft ($PROFILE)"
    if [ "$PROFILE" = release ]; then
        cargo build --release --quiet -p pggraft-cli
    else
        cargo build --quiet -p pggraft-cli
    fi
    PGGRAFT="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/pggraft"
fi
[ -x "$PGGRAFT" ] || die "no pggraft binary at $PGGRAFT"

OUT="$ROOT/bench-results/$BENCH_NAME-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
PSQL=("$BINDIR/psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1)

# --- Two throwaway clusters -------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pggraft-$BENCH_NAME-XXXXXX")"
as_server() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a \`postgres\` OS user to run the server"
    chown postgres: "$WORK"
    chmod 755 "$WORK"
    as_server() { runuser -u postgres -- "$@"; }
fi
CLONE_PID=
trials_cleanup() {
    local rc=$?
    [ -n "$CLONE_PID" ] && kill -KILL "$CLONE_PID" 2>/dev/null || true
    for c in A B; do
        if [ -f "$WORK/$c/postmaster.pid" ]; then
            (cd "$WORK" && as_server "$BINDIR/pg_ctl" stop -D "$WORK/$c" -m immediate -w >/dev/null 2>&1) || true
        fi
    done
    rm -rf -- "$WORK"
    [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || echo "$BENCH_NAME: stopped (exit $rc); the clusters were removed" >&2
}
trap trials_cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_server NAME: initdb and start cluster NAME (A or B); prints its port.
start_server() {
    local name="$1" port
    port="$(free_port)"
    (cd "$WORK" && as_server "$BINDIR/initdb" -D "$WORK/$name" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null 2>&1 ||
        as_server "$BINDIR/initdb" -D "$WORK/$name" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null)
    as_server tee -a "$WORK/$name/postgresql.conf" >/dev/null <<EOF

# Added by scripts/$BENCH_NAME.sh.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF
    (cd "$WORK" && as_server "$BINDIR/pg_ctl" start -D "$WORK/$name" -l "$WORK/$name.log" -w -t 60 >/dev/null)
    echo "$port"
}
