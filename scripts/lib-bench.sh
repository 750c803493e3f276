# shellcheck shell=bash
# Shared helpers for scripts/bench-clone.sh and scripts/bench-verify.sh. Source it; do not run it.
#
# Provides: die, find_bindir, ensure_tools, build_pggraft, start_cluster (a throwaway cluster
# in a temp dir, stopped and deleted on exit however the script ends), psql helpers, `measure`
# (wall time and peak RSS of one client command through GNU time) and `summarise` (medians and
# ratios). The caller sets `set -euo pipefail` and BENCH_NAME before sourcing.

die() {
    echo "error: $*" >&2
    exit 2
}

# PostgreSQL binaries, found the way pg-sandbox finds them.
find_bindir() {
    if [ -n "${PGGRAFT_PG_BINDIR:-}" ]; then
        [ -x "$PGGRAFT_PG_BINDIR/initdb" ] || die "PGGRAFT_PG_BINDIR=$PGGRAFT_PG_BINDIR has no initdb"
        echo "$PGGRAFT_PG_BINDIR"
        return
    fi
    local dir
    if dir="$(pg_config --bindir 2>/dev/null)" && [ -x "$dir/initdb" ]; then
        echo "$dir"
        return
    fi
    dir="$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1 || true)"
    [ -n "$dir" ] && [ -x "$dir/initdb" ] ||
        die "no PostgreSQL server binaries (set PGGRAFT_PG_BINDIR or apt-get install postgresql)"
    echo "$dir"
}

# apt_install PKG...: install Debian packages, running `apt-get update` only if the first try fails.
apt_install() {
    command -v apt-get >/dev/null || die "missing $*, and no apt-get to install it with"
    echo "== installing $* (apt-get)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
            die "could not install $* with apt-get"
    fi
}

# ensure_tools [pgcopydb]: GNU time and python3 always; pgcopydb when asked.
ensure_tools() {
    [ -x /usr/bin/time ] || apt_install time
    command -v python3 >/dev/null || apt_install python3
    if [ "${1:-}" = pgcopydb ]; then
        command -v pgcopydb >/dev/null || apt_install pgcopydb
    fi
    return 0
}

# build_pggraft sets PGGRAFT: target/release/pggraft after `cargo build --release`, or
# $PGGRAFT_BIN untouched when set (to measure another build, e.g. a patched one, in the same way).
build_pggraft() {
    if [ -n "${PGGRAFT_BIN:-}" ]; then
        [ -x "$PGGRAFT_BIN" ] || die "PGGRAFT_BIN=$PGGRAFT_BIN is not an executable"
        PGGRAFT="$PGGRAFT_BIN"
        echo "== using PGGRAFT_BIN=$PGGRAFT (no build)"
        return
    fi
    echo "== building pggraft (release)"
    (cd "$ROOT" && cargo build --release --quiet -p pggraft-cli)
    PGGRAFT="${CARGO_TARGET_DIR:-$ROOT/target}/release/pggraft"
    [ -x "$PGGRAFT" ] || die "no binary at $PGGRAFT after the build"
}

# --- Throwaway cluster ----------------------------------------------------------------------
# start_cluster sets WORK (temp dir, owned by postgres when root), DATA, PORT, BASE (URL without
# the database name) and PSQL (an array: psql that stops on the first error).
as_server() { "$@"; }

start_cluster() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/pggraft-$BENCH_NAME-XXXXXX")"
    DATA="$WORK/data"
    if [ "$(id -u)" -eq 0 ]; then
        # PostgreSQL refuses to run as root.
        id postgres >/dev/null 2>&1 || die "running as root needs a \`postgres\` OS user to run the server"
        chown postgres: "$WORK"
        chmod 755 "$WORK"
        as_server() { runuser -u postgres -- "$@"; }
    fi
    trap cleanup EXIT
    trap 'exit 130' INT TERM

    PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    echo "== starting a throwaway cluster ($("$BINDIR/postgres" --version)) on 127.0.0.1:$PORT in $WORK"
    (cd "$WORK" &&
        { as_server "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null ||
            as_server "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null; })
    as_server tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# Added by scripts/lib-bench.sh ($BENCH_NAME). Durability is off for every contender alike.
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = '1GB'
maintenance_work_mem = '256MB'
max_wal_size = '8GB'
checkpoint_timeout = '30min'
max_connections = 100
max_locks_per_transaction = 256
EOF
    # BENCH_WAL_LEVEL=minimal: a cluster that writes no WAL for rows loaded in the transaction
    # that created or truncated their table.
    if [ "${BENCH_WAL_LEVEL:-}" = minimal ]; then
        printf 'wal_level = minimal\nmax_wal_senders = 0\n' | as_server tee -a "$DATA/postgresql.conf" >/dev/null
        SERVER_WAL=", wal_level=minimal"
    fi
    (cd "$WORK" && as_server "$BINDIR/pg_ctl" start -D "$DATA" -l "$WORK/log" -w -t 60 >/dev/null)
    BASE="postgresql://postgres@127.0.0.1:$PORT"
    PSQL=("$BINDIR/psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1)
    # shellcheck disable=SC2034 # printed by the callers
    SERVER_SETTINGS="fsync=off, synchronous_commit=off, full_page_writes=off, shared_buffers=1GB${SERVER_WAL:-} (same cluster for every contender)"
}

cleanup() {
    local rc=$?
    # Run the caller's own clean-up first (e.g. tool temp dirs), if it has one.
    if declare -F bench_cleanup >/dev/null; then bench_cleanup || true; fi
    if [ -n "${DATA:-}" ] && [ -f "$DATA/postmaster.pid" ]; then
        (cd "$WORK" && as_server "$BINDIR/pg_ctl" stop -D "$DATA" -m immediate -w >/dev/null 2>&1) || true
    fi
    if [ -n "${WORK:-}" ]; then rm -rf -- "$WORK"; fi
    if [ "$rc" -ne 0 ]; then echo "$BENCH_NAME: failed (exit $rc); the cluster was removed" >&2; fi
}

# sql DB STATEMENT...: run statements in database DB, print tuples only, unaligned.
sql() {
    local db="$1"
    shift
    local args=()
    for s in "$@"; do args+=(-c "$s"); done
    PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -At "$BASE/$db" "${args[@]}"
}

# fresh_db NAME: drop (if there) and create an empty database from template0.
fresh_db() {
    sql postgres "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" "CREATE DATABASE \"$1\" TEMPLATE template0"
}

# user_rows DB [SCHEMA]: the number of rows in all ordinary tables (leaf partitions, not their
# parents, so no row counts twice), of the user schemas or of SCHEMA only.
user_rows() {
    local db="$1" filter="n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
    [ $# -ge 2 ] && filter="n.nspname = '$2'"
    # query_to_xml runs one count(*) per table inside a single statement.
    sql "$db" "SELECT COALESCE(sum((xpath('/row/c/text()',
                   query_to_xml(format('SELECT count(*) AS c FROM ONLY %s', c.oid::regclass), false, true, '')
               ))[1]::text::bigint), 0)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind = 'r' AND $filter"
}

# --- Measuring ------------------------------------------------------------------------------
# measure LABEL RUN CMD...: run one client command under GNU time; append "LABEL RUN wall_s rss_kb"
# to $RESULTS. Its output goes to $OUT/LABEL-RUN.log. For a contender made of several commands,
# call measure once per command with labels LABEL+part; summarise adds the walls and takes the
# largest RSS. GNU time's %M is the largest single process of the tree it waited for (pg_dump -j
# and pgcopydb fork workers): it is not the sum of the processes.
measure() {
    local label="$1" run="$2"
    shift 2
    local tf="$OUT/$label-$run.time" log="$OUT/$label-$run.log"
    local srv_before
    srv_before=$(server_ticks)
    if ! /usr/bin/time -f '%e %M %x %U %S' -o "$tf" "$@" >"$log" 2>&1; then
        echo "error: $label (run $run) failed: $*" >&2
        tail -n 30 "$log" >&2
        exit 2
    fi
    read -r wall rss _ user sys <"$tf"
    local srv
    srv=$(awk -v a="$srv_before" -v b="$(server_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')
    # Client CPU: user + system time of the command and the children it waited for (not the
    # server's: its backends are not the client's children).
    local cpu
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    echo "$label $run $wall $rss $cpu $srv" >>"$RESULTS"
    awk -v l="$label" -v n="$run" -v w="$wall" -v r="$rss" -v c="$cpu" -v s="$srv" \
        'BEGIN { printf "   %-28s run %d: %8.2f s %8.1f MiB  client CPU %6.2f s  server CPU %6.2f s\n", l, n, w, r / 1024, c, s }'
}

# server_ticks: CPU ticks (user + system) the cluster has used so far: the postmaster's own, those
# of its children it has reaped (backends that have ended), and those of its living children
# (background processes, backends still open). The difference across a command is the server CPU
# it cost, every process counted, with whatever background work (checkpointer, autovacuum) ran
# meanwhile.
server_ticks() {
    local pm
    pm=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null) || { echo 0; return; }
    python3 - "$pm" <<'PY'
import os, sys
pm = sys.argv[1]
def fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
total = 0
try:
    f = fields(pm)
    total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
except OSError:
    print(0); sys.exit()
for pid in os.listdir("/proc"):
    if not pid.isdigit() or pid == pm:
        continue
    try:
        f = fields(pid)
    except OSError:
        continue
    if f[1] == pm:  # ppid
        total += int(f[11]) + int(f[12])
print(total)
PY
}

# loadavg: the 1, 5 and 15 minute load averages, to show when other work shared the machine.
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# rotate N ITEM...: the items rotated left by N (so each run starts with another tool).
rotate() {
    local n="$1"
    shift
    local items=("$@")
    local k=${#items[@]} i
    for ((i = 0; i < k; i++)); do echo "${items[$(((i + n) % k))]}"; done
}

# summarise BASELINE_LABEL "LABEL|DESCRIPTION|ROWS" ...: medians over runs (parts of a label,
# written LABEL+part, are added per run), ratio = median / the baseline's median, rows/s (ROWS may
# be empty), peak RSS.
summarise() {
    python3 - "$RESULTS" "$@" <<'EOF'
import collections, statistics, sys
results, base, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
wall = collections.defaultdict(lambda: collections.defaultdict(float))
cpu = collections.defaultdict(lambda: collections.defaultdict(float))
srv = collections.defaultdict(lambda: collections.defaultdict(float))
rss = collections.defaultdict(int)
for line in open(results):
    label, run, w, r, *rest = line.split()
    label = label.split("+")[0]
    wall[label][int(run)] += float(w)
    cpu[label][int(run)] += float(rest[0]) if rest else 0.0
    srv[label][int(run)] += float(rest[1]) if len(rest) > 1 else 0.0
    rss[label] = max(rss[label], int(r))
def median(label):
    return statistics.median(wall[label].values())
b = median(base)
print(f"{'contender':<58} {'median s':>9} {'ratio':>9} {'rows/s':>12} {'peak RSS MiB':>13} "
      f"{'client CPU s':>13} {'server CPU s':>13}  runs (s)")
for spec in specs:
    label, desc, rows = spec.split("|")
    m = median(label)
    runs = " ".join(f"{wall[label][k]:.2f}" for k in sorted(wall[label]))
    rps = f"{int(rows) / m:,.0f}" if rows else "-"
    c = statistics.median(cpu[label].values())
    sc = statistics.median(srv[label].values())
    print(f"{desc:<58} {m:>9.2f} {m / b:>8.2f}x {rps:>12} {rss[label] / 1024:>13.1f} {c:>13.2f} {sc:>13.2f}  {runs}")
EOF
}
