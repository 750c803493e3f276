#!/usr/bin/env bash
# Benchmark and end-to-end check: `pggraft clone --follow` against `pgcopydb clone --follow`
# (0.10, Debian's), on the same pgbench workload at its maximum rate, in the same run.
#
#   scripts/bench-follow.sh                          # scale 20, pgbench 30 s, 1 run
#   scripts/bench-follow.sh --scale 5 --duration 20 --runs 2 [--no-pgcopydb]
#
# One throwaway cluster (lib-bench.sh's, plus wal_level = logical). Database `src` holds
# `pgbench -i -s SCALE` (pgbench_history gets REPLICA IDENTITY FULL: it has no key, and both
# tools need one to follow it). Each contender gets its own copy of `src` (CREATE DATABASE …
# TEMPLATE src) and an empty target, and then:
#   1. the tool's clone --follow starts, and `pgbench -n -c CLIENTS -j 2 -T DURATION` (no rate
#      limit) starts at the same moment on the source: writes during the copy and after;
#   2. every second, the apply lag is sampled: the source's pg_current_wal_lsn() minus the
#      position the target holds (pggraft.follow.applied_lsn; pgcopydb's replication origin);
#   3. when pgbench ends, the cutover is asked for at the source's current position
#      (`pggraft follow cutover --endpos current`; `pgcopydb stream sentinel set endpos
#      --current`), and timed until the tool has applied up to it and exited;
#   4. `pggraft verify --level rows` compares the copy with its source.
# Part 3 runs pggraft alone into a renamed copy in the same database (public -> public_copy).
#
# Printed per contender: pgbench's transactions and tps, the row changes they made (4 per
# transaction: 3 updates and an insert; those committed before the copy's snapshot are counted
# too, alike for both), the apply time (from the first applied change to the cutover), apply
# rows/s = row changes / apply time, the largest lag sampled while pgbench ran, the catch-up
# time after it stopped, and verify's verdict. pgcopydb 0.10 writes integers >= 1,000,000
# through wal2json's %g (pgbench_accounts' aid goes to 100,000 x scale), so its verdict is
# expected to show differences.
#
# PGGRAFT_BIN=/path/to/pggraft measures that binary instead of building target/release/pggraft.
# Raw logs go to bench-results/follow-*/. The cluster is stopped and deleted on exit.
set -euo pipefail

RUNS=1
SCALE=20
DURATION=30
CLIENTS=4
PGCOPYDB=1
# pgcopydb 0.10 applies slowly (or stops applying); one not caught up after this long is stopped.
PGCOPYDB_LIMIT=300
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --scale) SCALE="${2:?--scale needs a number}"; shift 2 ;;
    --duration) DURATION="${2:?--duration needs seconds}"; shift 2 ;;
    --clients) CLIENTS="${2:?--clients needs a number}"; shift 2 ;;
    --no-pgcopydb) PGCOPYDB=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in "$RUNS" "$SCALE" "$DURATION" "$CLIENTS"; do
    [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "error: $v is not a positive integer" >&2; exit 2; }
done

cd "$(dirname "$0")/.."
ROOT="$PWD"
BENCH_NAME=bench-follow
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

if [ "$PGCOPYDB" = 1 ]; then ensure_tools pgcopydb; else ensure_tools; fi
BINDIR="$(find_bindir)"
PGVER="$("$BINDIR/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
if [ "$PGCOPYDB" = 1 ] && [ ! -f "$("$BINDIR/pg_config" --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/"$PGVER"/lib)/wal2json.so" ]; then
    apt_install "postgresql-$PGVER-wal2json"
fi
build_pggraft
start_cluster
as_server tee -a "$DATA/postgresql.conf" >/dev/null <<EOF
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
EOF
(cd "$WORK" && as_server "$BINDIR/pg_ctl" restart -D "$DATA" -l "$WORK/log" -w -t 60 -m fast >/dev/null)

OUT="$ROOT/bench-results/follow-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"

echo "== loading src: pgbench -i -s $SCALE"
sql postgres "CREATE DATABASE src TEMPLATE template0"
"$BINDIR/pgbench" -i -q -s "$SCALE" "$BASE/src" >"$OUT/load-pgbench.log" 2>&1 ||
    { cat "$OUT/load-pgbench.log" >&2; die "pgbench -i failed"; }
sql src "ALTER TABLE pgbench_history REPLICA IDENTITY FULL" "VACUUM ANALYZE"

now() { date +%s.%N; }
lsn_minus() { sql "$1" "SELECT COALESCE(pg_current_wal_lsn() - '$2'::pg_lsn, 0)::bigint"; }

# sample_lag SRC_DB POSITION_CMD...: while pgbench ($PGBENCH_PID) runs, every second the lag in
# bytes between the source's current position and the position POSITION_CMD prints (empty: not
# applying yet). Sets MAX_LAG and APPLY_START (when a position first appeared).
sample_lag() {
    local src="$1"
    shift
    MAX_LAG=0
    APPLY_START=""
    while kill -0 "$PGBENCH_PID" 2>/dev/null; do
        local pos lag
        pos="$("$@" 2>/dev/null || true)"
        if [ -n "$pos" ]; then
            [ -n "$APPLY_START" ] || APPLY_START="$(now)"
            lag="$(lsn_minus "$src" "$pos")"
            [ "$lag" -gt "$MAX_LAG" ] && MAX_LAG="$lag"
        fi
        sleep 1
    done
}

pggraft_position() {
    sql "$1" "SELECT applied_lsn FROM pggraft.follow WHERE slot = '$2'"
}
pgcopydb_position() {
    sql "$1" "SELECT pg_replication_origin_progress('pgcopydb', true) WHERE EXISTS (SELECT 1 FROM pg_replication_origin WHERE roname = 'pgcopydb')"
}

# report LABEL TXNS TPS APPLY_S CATCHUP_S MAX_LAG VERDICT
report() {
    local rows=$(($2 * 4))
    awk -v l="$1" -v t="$2" -v tps="$3" -v r="$rows" -v a="$4" -v c="$5" -v m="$6" -v v="$7" 'BEGIN {
        printf "%-34s %8d txn %7.0f tps %9d rows  apply %7.1f s %9.0f rows/s  max lag %7.1f MiB  catch-up %6.1f s  verify: %s\n",
            l, t, tps, r, a, (a > 0 ? r / a : 0), m / 1048576, c, v }' | tee -a "$SUMMARY"
}

pgbench_start() {
    "$BINDIR/pgbench" -n -c "$CLIENTS" -j 2 -T "$DURATION" "$BASE/$1" >"$2" 2>&1 &
    PGBENCH_PID=$!
}
pgbench_result() {
    TXNS="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$1")"
    TPS="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$1" | head -n 1)"
    [ -n "$TXNS" ] || { cat "$1" >&2; die "pgbench failed"; }
}

verify_rows() { # SRC DST [SCHEMA ARG]
    if "$PGGRAFT" verify --source "$BASE/$1" --target "$BASE/$2" --level rows -n "${3:-public}" \
        >"$OUT/verify-$2.log" 2>&1; then
        echo clean
    else
        echo "DIFFERENT ($(grep -c 'table ' "$OUT/verify-$2.log" || true) table line(s); $OUT/verify-$2.log)"
    fi
}

run_pggraft() { # RUN SRC DST [RENAME]
    local run="$1" src="$2" dst="$3" rename="${4:-}" slot="bench_$1_${4:+same}"
    local log="$OUT/pggraft-$dst.log" args=()
    [ -n "$rename" ] && args=(-n "$rename")
    "$PGGRAFT" clone --follow --slot "$slot" --source "$BASE/$src" --target "$BASE/$dst" \
        -j 2 --index-jobs 2 "${args[@]}" >"$log" 2>&1 &
    local fpid=$!
    pgbench_start "$src" "$OUT/pgbench-$dst.log"
    sample_lag "$src" pggraft_position "$dst" "$slot"
    wait "$PGBENCH_PID"
    local writes_end done_at
    writes_end="$(now)"
    "$PGGRAFT" follow cutover --target "$BASE/$dst" --slot "$slot" --endpos current >>"$log" 2>&1
    done_at="$(now)"
    wait "$fpid" || { tail -n 30 "$log" >&2; die "pggraft clone --follow failed"; }
    pgbench_result "$OUT/pgbench-$dst.log"
    local verdict
    verdict="$(verify_rows "$src" "$dst" "${rename:-public}")"
    "$PGGRAFT" follow cleanup --target "$BASE/$dst" --slot "$slot" >>"$log" 2>&1
    local label="pggraft${rename:+ (same db, renamed)}"
    report "$label" "$TXNS" "$TPS" "$(awk -v a="${APPLY_START:-$writes_end}" -v b="$done_at" 'BEGIN { print b - a }')" \
        "$(awk -v a="$writes_end" -v b="$done_at" 'BEGIN { print b - a }')" "$MAX_LAG" "$verdict"
    echo "   pggraft: $(grep -o "[0-9]* transactions, [0-9]* rows" "$log" | tail -n 1) applied (its own count)"
}

run_pgcopydb() { # RUN SRC DST
    local run="$1" src="$2" dst="$3" dir="$WORK/pgcopydb-$1"
    local log="$OUT/pgcopydb-$dst.log"
    rm -rf "$dir"
    # A session of its own, so that its worker processes can be stopped together.
    setsid pgcopydb clone --follow --source "$BASE/$src" --target "$BASE/$dst" --table-jobs 2 \
        --index-jobs 2 --dir "$dir" >"$log" 2>&1 &
    local fpid=$!
    pgbench_start "$src" "$OUT/pgbench-$dst.log"
    sample_lag "$src" pgcopydb_position "$dst"
    wait "$PGBENCH_PID"
    local writes_end done_at
    writes_end="$(now)"
    pgcopydb stream sentinel set endpos --current --source "$BASE/$src" >>"$log" 2>&1
    local waited=0
    while kill -0 "$fpid" 2>/dev/null; do
        sleep 1
        waited=$((waited + 1))
        if [ "$waited" -ge "$PGCOPYDB_LIMIT" ]; then
            echo "   pgcopydb had not caught up after $PGCOPYDB_LIMIT s: stopped" | tee -a "$SUMMARY"
            kill -9 -- "-$fpid" 2>/dev/null || true
            break
        fi
    done
    done_at="$(now)"
    wait "$fpid" || echo "   pgcopydb exited with an error (see $log)" | tee -a "$SUMMARY"
    grep -m 3 ' ERROR ' "$log" | sed 's/^/   pgcopydb: /' | cut -c1-200 | tee -a "$SUMMARY" || true
    pgbench_result "$OUT/pgbench-$dst.log"
    local verdict
    verdict="$(verify_rows "$src" "$dst")"
    sql "$src" "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active" >/dev/null || true
    report "pgcopydb 0.10 (wal2json)" "$TXNS" "$TPS" \
        "$(awk -v a="${APPLY_START:-$writes_end}" -v b="$done_at" 'BEGIN { print b - a }')" \
        "$(awk -v a="$writes_end" -v b="$done_at" 'BEGIN { print b - a }')" "$MAX_LAG" "$verdict"
}

echo "== scale $SCALE, pgbench -c $CLIENTS -j 2 -T $DURATION (no rate limit), $RUNS run(s); load $(loadavg)"
for ((run = 1; run <= RUNS; run++)); do
    contenders=(pggraft)
    [ "$PGCOPYDB" = 1 ] && contenders+=(pgcopydb)
    for c in $(rotate $((run - 1)) "${contenders[@]}"); do
        src="src_${c}_$run"
        dst="dst_${c}_$run"
        sql postgres "CREATE DATABASE $src TEMPLATE src" "CREATE DATABASE $dst TEMPLATE template0"
        echo "== run $run: $c"
        "run_$c" "$run" "$src" "$dst"
        sql postgres "DROP DATABASE $src WITH (FORCE)" "DROP DATABASE $dst WITH (FORCE)"
    done
    same="same_$run"
    sql postgres "CREATE DATABASE $same TEMPLATE src"
    echo "== run $run: pggraft, same database, public -> public_copy"
    run_pggraft "$run" "$same" "$same" public=public_copy
    sql postgres "DROP DATABASE $same WITH (FORCE)"
done
echo "== summary (load $(loadavg)); raw logs in $OUT"
cat "$SUMMARY"
