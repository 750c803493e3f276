#!/usr/bin/env bash
# Benchmark and end-to-end check: `pggraft clone --follow` against `pgcopydb clone --follow`
# (0.10, Debian's), on the same pgbench workload at its maximum rate, in the same run.
#
#   scripts/bench-follow.sh                          # scale 20, pgbench tpcb-like 30 s, 1 run
#   scripts/bench-follow.sh --scale 5 --duration 20 --runs 2 [--workload tpcb|simple]...
#                           [--clients N] [--backlog] [--no-pgcopydb] [--no-same-db] [--no-pggraft]
#                           [--pgcopydb-limit S]
#
# One throwaway cluster (lib-bench.sh's, plus wal_level = logical). Database `src` holds
# `pgbench -i -s SCALE` (pgbench_history gets REPLICA IDENTITY FULL: it has no key, and both
# tools need one to follow it). For each workload (--workload, repeatable: `tpcb` is pgbench's
# tpcb-like, 3 updates + 1 insert per transaction; `simple` is simple-update, -N: 1 update + 1
# insert), each contender gets its own copy of `src` (CREATE DATABASE … TEMPLATE src) and an
# empty target, in an order rotated per run, and then:
#   1. the tool's clone --follow starts, and `pgbench -n -c CLIENTS -j 2 -T DURATION` (no rate
#      limit) starts at the same moment on the source: writes during the copy and after;
#   2. scripts/follow-sampler.py samples every second: the source's WAL position and its row
#      changes so far, the position the target holds (pggraft.follow.applied_lsn; pgcopydb's
#      replication origin), and the CPU ticks of every process taking part;
#   3. when pgbench ends, the cutover is asked for at the source's current position
#      (`pggraft follow cutover --endpos current`; `pgcopydb stream sentinel set endpos
#      --current`), and timed until the tool has applied up to it and exited;
#   4. `pggraft verify --level rows` compares the copy with its source.
# Then pggraft runs alone into a renamed copy in the same database (public -> public_copy),
# unless --no-same-db. PGGRAFT_BASELINE=/path/to/an/older/pggraft adds that build as one more
# contender, in the same rotation.
#
# Printed per contender: pgbench's transactions, tps and row changes, the catch-up time after
# pgbench stopped, verify's verdict; and from the samples, over the sustained window (from the
# first applied change to pgbench's end): the source's and the apply's row changes/s (a held
# position counts the source's row changes up to it, so coalesced writes count as the changes
# they cover), the lag in seconds and MiB at 25/50/75/100 % of the window (bounded or growing),
# and the CPU of each part in cores. pgcopydb 0.10 writes integers >= 1,000,000 through
# wal2json's %g (pgbench_accounts' aid goes to 100,000 x scale), so its verdict is expected to
# show differences at scale >= 10.
#
# PGGRAFT_BIN=/path/to/pggraft measures that binary instead of building target/release/pggraft.
# Raw logs and samples go to bench-results/follow-*/. The cluster is stopped and deleted on exit.
set -euo pipefail

RUNS=1
SCALE=20
DURATION=30
CLIENTS=4
PGCOPYDB=1
PGGRAFT_RUNS=1
BACKLOG=0
SAME_DB=1
WORKLOADS=()
# pgcopydb 0.10 applies slowly (or stops applying); one not caught up after this long is stopped.
PGCOPYDB_LIMIT=300
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --scale) SCALE="${2:?--scale needs a number}"; shift 2 ;;
    --duration) DURATION="${2:?--duration needs seconds}"; shift 2 ;;
    --clients) CLIENTS="${2:?--clients needs a number}"; shift 2 ;;
    --no-pgcopydb) PGCOPYDB=0; shift ;;
    --no-same-db) SAME_DB=0; shift ;;
    --no-pggraft) PGGRAFT_RUNS=0; SAME_DB=0; shift ;;
    --backlog) BACKLOG=1; shift ;;
    --pgcopydb-limit) PGCOPYDB_LIMIT="${2:?--pgcopydb-limit needs seconds}"; shift 2 ;;
    --workload)
        case "${2:-}" in tpcb | simple) WORKLOADS+=("$2") ;; *) echo "error: --workload is tpcb or simple" >&2; exit 2 ;; esac
        shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
[ ${#WORKLOADS[@]} -gt 0 ] || WORKLOADS=(tpcb)
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
# --backlog stops a tool (SIGSTOP) while pgbench runs: its stream must outlive the pause.
wal_sender_timeout = 0
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

# sampler_start LABEL SRC_DB DST_DB TOOL_SID POSITION_SQL: samples once a second (positions, row
# changes, CPU per process: scripts/follow-sampler.py) until sampler_stop.
sampler_start() {
    SAMPLES="$OUT/samples-$1.jsonl"
    STOP="$WORK/stop-$1"
    rm -f "$STOP"
    POSTMASTER_PID="$(head -n 1 "$DATA/postmaster.pid")" PSQL_BIN="$BINDIR/psql" \
        python3 "$ROOT/scripts/follow-sampler.py" sample "$SAMPLES" "$BASE" "$2" "$3" "$5" "$4" \
        "$PGBENCH_PID" "$STOP" &
    SAMPLER_PID=$!
}
sampler_stop_only() {
    touch "$STOP"
    wait "$SAMPLER_PID" || true
}
sampler_stop() { # LABEL PGBENCH_END DONE [RESUMED]
    sampler_stop_only
    python3 "$ROOT/scripts/follow-sampler.py" summary "$SAMPLES" "$2" "$3" "$1" ${4:+"$4"} | tee -a "$SUMMARY"
}

pggraft_position() { # SLOT
    echo "SELECT applied_lsn - '0/0' FROM pggraft.follow WHERE slot = '$1'"
}
PGCOPYDB_POSITION="SELECT pg_replication_origin_progress('pgcopydb', true) - '0/0' WHERE EXISTS (SELECT 1 FROM pg_replication_origin WHERE roname = 'pgcopydb')"

# report LABEL WORKLOAD TXNS TPS CATCHUP_S VERDICT
report() {
    awk -v l="$1" -v w="$2" -v t="$3" -v tps="$4" -v r="$(($3 * $(changes_per_txn "$2")))" -v c="$5" -v v="$6" 'BEGIN {
        printf "%-34s %-6s %8d txn %7.0f tps %9d row changes  catch-up %6.1f s  verify: %s\n",
            l, w, t, tps, r, c, v }' | tee -a "$SUMMARY"
}

changes_per_txn() { # WORKLOAD: tpcb-like 3 updates + 1 insert; simple-update 1 + 1
    case "$1" in tpcb) echo 4 ;; simple) echo 2 ;; esac
}

pgbench_start() { # DB LOG WORKLOAD
    local script=tpcb-like
    [ "$3" = simple ] && script=simple-update
    "$BINDIR/pgbench" -n -b "$script" -c "$CLIENTS" -j 2 -T "$DURATION" "$BASE/$1" >"$2" 2>&1 &
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

run_pggraft() { # RUN WORKLOAD SRC DST [RENAME]
    run_pggraft_with "$PGGRAFT" "pggraft${5:+ (same db, renamed)}" "$@"
}
run_baseline() { # RUN WORKLOAD SRC DST
    run_pggraft_with "$PGGRAFT_BASELINE" "pggraft baseline" "$@"
}
run_pggraft_with() { # BIN LABEL RUN WORKLOAD SRC DST [RENAME]
    local bin="$1" label="$2" run="$3" wl="$4" src="$5" dst="$6" rename="${7:-}"
    local slot="bench_${run}_$wl${rename:+_same}"
    local log="$OUT/pggraft-$dst.log" args=()
    [ -n "$rename" ] && args=(-n "$rename")
    setsid "$bin" clone --follow --slot "$slot" --source "$BASE/$src" --target "$BASE/$dst" \
        -j 2 --index-jobs 2 "${args[@]}" >"$log" 2>&1 &
    local fpid=$!
    if [ "$BACKLOG" = 1 ]; then
        wait_until "$fpid" "$log" sql "$dst" "SELECT 1 FROM pggraft.follow WHERE slot = '$slot'"
        kill -STOP -- "-$fpid"
    fi
    pgbench_start "$src" "$OUT/pgbench-$dst.log" "$wl"
    sampler_start "$dst" "$src" "$dst" "$fpid" "$(pggraft_position "$slot")"
    wait "$PGBENCH_PID"
    local writes_end resumed="" done_at
    writes_end="$(now)"
    if [ "$BACKLOG" = 1 ]; then
        kill -CONT -- "-$fpid"
        resumed="$(now)"
    fi
    "$bin" follow cutover --target "$BASE/$dst" --slot "$slot" --endpos current >>"$log" 2>&1
    done_at="$(now)"
    wait "$fpid" || { tail -n 30 "$log" >&2; die "$label clone --follow failed"; }
    pgbench_result "$OUT/pgbench-$dst.log"
    local verdict
    verdict="$(verify_rows "$src" "$dst" "${rename:-public}")"
    "$bin" follow cleanup --target "$BASE/$dst" --slot "$slot" >>"$log" 2>&1
    report "$label" "$wl" "$TXNS" "$TPS" "$(awk -v a="$writes_end" -v b="$done_at" 'BEGIN { print b - a }')" "$verdict"
    sampler_stop "$label, $wl" "$writes_end" "$done_at" "$resumed"
    record_rate "$wl" "$label" "$done_at" "$resumed"
}

# wait_until PID LOG CMD...: until CMD prints something (the tool's copy is done), or fail if the
# tool died or 300 s passed. Then one more second, so that its apply has started.
wait_until() {
    local pid="$1" log="$2" i
    shift 2
    for ((i = 0; i < 600; i++)); do
        [ -n "$("$@" 2>/dev/null || true)" ] && { sleep 1; return; }
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; die "the tool exited before its copy was done"; }
        sleep 0.5
    done
    die "the tool's copy was not done after 300 s"
}

# record_rate WORKLOAD LABEL DONE RESUMED: the apply's rows/s for the ratios at the end: in
# backlog mode, the backlog's row changes over the time from resume to done; else (or when the
# tool was stopped before it was done) the rate the sampler saw its held position move at.
record_rate() {
    local rate
    if [ -n "$4" ]; then
        rate="$(awk -v r="$((TXNS * $(changes_per_txn "$1")))" -v a="$4" -v b="$3" 'BEGIN { printf "%.0f", r / (b - a) }')"
        echo "   backlog: $((TXNS * $(changes_per_txn "$1"))) row changes applied in $(awk -v a="$4" -v b="$3" 'BEGIN { printf "%.1f", b - a }') s after the resume: $rate row changes/s" | tee -a "$SUMMARY"
    else
        rate="$(cat "$SAMPLES.rate" 2>/dev/null || echo 0)"
    fi
    echo "$1|$2|$rate" >>"$OUT/rates"
}

run_pgcopydb() { # RUN WORKLOAD SRC DST
    local run="$1" wl="$2" src="$3" dst="$4" dir="$WORK/pgcopydb-$1-$2"
    local log="$OUT/pgcopydb-$dst.log"
    rm -rf "$dir"
    # A session of its own, so that its worker processes can be stopped (and measured) together.
    setsid pgcopydb clone --follow --source "$BASE/$src" --target "$BASE/$dst" --table-jobs 2 \
        --index-jobs 2 --dir "$dir" >"$log" 2>&1 &
    local fpid=$!
    if [ "$BACKLOG" = 1 ]; then
        wait_until "$fpid" "$log" grep -m 1 'sentinel has enabled applying changes' "$log"
        kill -STOP -- "-$fpid"
    fi
    pgbench_start "$src" "$OUT/pgbench-$dst.log" "$wl"
    sampler_start "$dst" "$src" "$dst" "$fpid" "$PGCOPYDB_POSITION"
    wait "$PGBENCH_PID"
    local writes_end resumed="" done_at
    writes_end="$(now)"
    pgcopydb stream sentinel set endpos --current --source "$BASE/$src" >>"$log" 2>&1
    if [ "$BACKLOG" = 1 ]; then
        kill -CONT -- "-$fpid"
        resumed="$(now)"
    fi
    local waited=0
    STOPPED=0
    while kill -0 "$fpid" 2>/dev/null; do
        sleep 1
        # pgcopydb 0.10 stops only once its stream passes endpos, and transforms a JSON file only
        # once the stream moves to the next WAL segment: a write in another database (not
        # decoded for this slot) after a segment switch gives it both. (A logical message would
        # be decoded, and 0.10's transform dies on it: "Unknown message action 77".)
        sql postgres "SELECT pg_switch_wal()" "CREATE TABLE IF NOT EXISTS bench_nudge (i int)" \
            "INSERT INTO bench_nudge VALUES (1)" >/dev/null 2>&1 || true
        waited=$((waited + 1))
        if [ "$waited" -ge "$PGCOPYDB_LIMIT" ]; then
            echo "   pgcopydb had not caught up after $PGCOPYDB_LIMIT s: stopped" | tee -a "$SUMMARY"
            kill -9 -- "-$fpid" 2>/dev/null || true
            STOPPED=1
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
    sampler_stop_only
    # Replication origins are cluster-wide: the next pgcopydb run would find this one.
    sql "$dst" "SELECT pg_replication_origin_drop('pgcopydb') FROM pg_replication_origin WHERE roname = 'pgcopydb'" >/dev/null || true
    report "pgcopydb 0.10 (wal2json)" "$wl" "$TXNS" "$TPS" \
        "$(awk -v a="$writes_end" -v b="$done_at" 'BEGIN { print b - a }')" "$verdict"
    sampler_stop "pgcopydb 0.10, $wl" "$writes_end" "$done_at" "$resumed"
    # Stopped before it was done: its rate is what its held position shows.
    [ "$STOPPED" = 1 ] && resumed=""
    record_rate "$wl" "pgcopydb 0.10" "$done_at" "$resumed"
}

echo "== scale $SCALE, pgbench -c $CLIENTS -j 2 -T $DURATION (no rate limit), workloads: ${WORKLOADS[*]}, $RUNS run(s); load $(loadavg)"
for ((run = 1; run <= RUNS; run++)); do
    for wl in "${WORKLOADS[@]}"; do
        contenders=()
        [ "$PGGRAFT_RUNS" = 1 ] && contenders+=(pggraft)
        [ -n "${PGGRAFT_BASELINE:-}" ] && contenders+=(baseline)
        [ "$PGCOPYDB" = 1 ] && contenders+=(pgcopydb)
        for c in $(rotate $((run - 1)) "${contenders[@]}"); do
            src="src_${c}_${wl}_$run"
            dst="dst_${c}_${wl}_$run"
            sql postgres "CREATE DATABASE $src TEMPLATE src" "CREATE DATABASE $dst TEMPLATE template0"
            echo "== run $run, $wl: $c"
            "run_$c" "$run" "$wl" "$src" "$dst"
            sql postgres "DROP DATABASE $src WITH (FORCE)" "DROP DATABASE $dst WITH (FORCE)"
        done
        if [ "$SAME_DB" = 1 ]; then
            same="same_${wl}_$run"
            sql postgres "CREATE DATABASE $same TEMPLATE src"
            echo "== run $run, $wl: pggraft, same database, public -> public_copy"
            run_pggraft "$run" "$wl" "$same" "$same" public=public_copy
            sql postgres "DROP DATABASE $same WITH (FORCE)"
        fi
    done
done
echo "== summary (load $(loadavg)); raw logs in $OUT"
cat "$SUMMARY"
if [ -f "$OUT/rates" ]; then
    echo "== apply row changes/s ($([ "$BACKLOG" = 1 ] && echo "catching up a backlog of pgbench -T $DURATION" || echo "sustained while pgbench ran")), ratio to pgcopydb 0.10 on the same workload"
    python3 - "$OUT/rates" <<'PY'
import collections, sys
rates = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    wl, label, r = line.strip().split("|")
    rates[wl].setdefault(label, []).append(float(r))
for wl, by in rates.items():
    peer = by.get("pgcopydb 0.10")
    for label, rs in by.items():
        m = sorted(rs)[len(rs) // 2]
        ratio = f"{m / (sorted(peer)[len(peer) // 2]):.1f}x pgcopydb" if peer and label != "pgcopydb 0.10" and min(peer) > 0 else ""
        print(f"   {wl:<7} {label:<34} {m:>10,.0f} rows/s  {ratio}")
PY
fi
