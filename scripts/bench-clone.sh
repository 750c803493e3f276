#!/usr/bin/env bash
# Benchmark: `pggraft clone` against its peers, on the same data, in the same run.
#
#   scripts/bench-clone.sh                       # pgbench scale 20, 3 timed runs per contender
#   scripts/bench-clone.sh --runs 5 --scale 50
#
# One throwaway PostgreSQL cluster (temp dir, free port on 127.0.0.1, run as the `postgres` OS
# user when the script runs as root; fsync, synchronous_commit and full_page_writes off, alike for
# every contender). Database `src` holds `pgbench -i -s SCALE` plus pggraft's sample schema
# (crates/pggraft/data/sample, pggraft.scale = 10). Sources and targets are databases of that one
# cluster, so every tool has the same server and the same I/O.
#
# 1. Another database, each contender into a fresh empty database dropped after the run:
#      pggraft clone --jobs 2 --index-jobs 2 --no-verify
#      pggraft clone --jobs 2 --index-jobs 2           (the default: verifies the copy)
#      pggraft clone --jobs 2 --index-jobs 2 --unlogged   (verifies; tables created UNLOGGED)
#      pgcopydb clone --table-jobs 2 --index-jobs 2
#      pg_dump -Fd -j2 + pg_restore -j2            (timed together: the sum of the two)
# 2. The same database, public -> public_copy (dropped after each run):
#      pggraft clone -n public=public_copy --jobs 2 --index-jobs 2 --no-verify
#      pggraft clone -n public=public_copy --jobs 2 --index-jobs 2      (verifies)
#      pggraft clone -n public=public_copy --jobs 2 --index-jobs 2 --unlogged
#      one psql session: CREATE TABLE public_copy.t (LIKE public.t INCLUDING ALL);
#                        INSERT INTO public_copy.t SELECT * FROM public.t;   for each table
#
# The order of the contenders rotates from run to run. A CHECKPOINT precedes every timed command.
# After every run the target's row count is checked against the source; after the first pggraft
# clone, `pggraft verify --level checksums` must report the copy identical (exit 0).
# Printed: median wall time, the ratio to pggraft, rows/s, peak client RSS (GNU time %M: the
# largest process of the client's tree; for pg_dump + pg_restore the larger of the two), client
# CPU (user + system of the client's process tree) and server CPU (every process of the cluster,
# read from /proc before and after the command).
#
# The set every tool copies in part 1 leaves out what pgcopydb 0.10 (Debian 12) cannot copy, so
# the work is the same: schema "Odd Schema" (pgcopydb breaks on the quoted table name
# "Mixed Case ""Table""") and the rows of the unlogged table shop.cache (pgcopydb skips unlogged
# tables' data).
#
# BENCH_WAL_LEVEL=minimal runs the cluster at wal_level = minimal (max_wal_senders = 0), where
# pggraft loads every table in the transaction that truncated it, writing no WAL for its rows.
#
# PGGRAFT_BIN=/path/to/pggraft measures that binary instead of building target/release/pggraft.
# PGGRAFT_BASELINE=/path/to/pggraft adds that binary (an earlier build, say) as one more contender
# in both parts, same data, same rotation: "before and after" in one run.
#
# Needs: cargo, PostgreSQL server binaries (PGGRAFT_PG_BINDIR, `pg_config --bindir` or
# /usr/lib/postgresql/*/bin), python3, and GNU time and pgcopydb (installed with apt-get when
# missing). Raw measurements and tool logs go to bench-results/clone-*/. The cluster is stopped
# and deleted on exit, however the script ends.
set -euo pipefail

RUNS=3
SCALE=20
SAMPLE_SCALE=10
usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --scale) SCALE="${2:?--scale needs a number}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "error: --runs must be a positive integer" >&2; exit 2; }
[[ "$SCALE" =~ ^[1-9][0-9]*$ ]] || { echo "error: --scale must be a positive integer" >&2; exit 2; }

cd "$(dirname "$0")/.."
ROOT="$PWD"
BENCH_NAME=bench-clone
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

ensure_tools pgcopydb
BINDIR="$(find_bindir)"
build_pggraft
start_cluster

OUT="$ROOT/bench-results/clone-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
RESULTS="$OUT/results.txt"
: >"$RESULTS"

# --- Data ------------------------------------------------------------------------------------
echo "== loading src: pgbench -i -s $SCALE, then the sample schema (pggraft.scale = $SAMPLE_SCALE)"
started=$SECONDS
sql postgres "CREATE DATABASE src TEMPLATE template0"
"$BINDIR/pgbench" -i -q -s "$SCALE" "$BASE/src" >"$OUT/load-pgbench.log" 2>&1 ||
    { cat "$OUT/load-pgbench.log" >&2; die "pgbench -i failed"; }
sample="$ROOT/crates/pggraft/data/sample"
# data.sql reads pggraft.scale with current_setting: one session for the SET and both files.
"${PSQL[@]}" "$BASE/src" -f <(echo "SET pggraft.scale = $SAMPLE_SCALE;"; cat "$sample/schema.sql" "$sample/data.sql") \
    >"$OUT/load-sample.log" 2>&1 || { cat "$OUT/load-sample.log" >&2; die "loading the sample schema failed"; }
sql src "VACUUM ANALYZE"
echo "   done in $((SECONDS - started))s"

# What part 1 copies (see the header): public and shop, without shop.cache's rows.
ROWS_CLONE=$(($(user_rows src public) + $(user_rows src shop) - $(sql src "SELECT count(*) FROM shop.cache")))
ROWS_SAME=$(user_rows src public)
SRC_SIZE=$(sql src "SELECT pg_size_pretty(pg_database_size('src'))")
echo "   src: $SRC_SIZE; rows copied: $ROWS_CLONE to another database, $ROWS_SAME within src (public)"

# --- Part 1: into another database ---------------------------------------------------------------
PGCOPYDB_FILTERS="$OUT/pgcopydb-filters.ini"
printf '[exclude-schema]\nOdd Schema\n\n[exclude-table-data]\nshop.cache\n' >"$PGCOPYDB_FILTERS"

checkpoint() { sql postgres "CHECKPOINT"; }

# check_rows DB EXPECTED LABEL: the copy has as many rows as the source.
check_rows() {
    local got
    got=$(($(user_rows "$1" public) + $(user_rows "$1" shop)))
    [ "$got" -eq "$2" ] || die "$3 copied $got rows, expected $2"
}

clone_baseline() {
    local run="$1" db="dst_baseline"
    fresh_db "$db"
    checkpoint
    measure baseline "$run" "$PGGRAFT_BASELINE" clone --source "$BASE/src" --target "$BASE/$db" \
        -n public -n shop --exclude-table-data shop.cache --jobs 2 --index-jobs 2 --no-verify
    check_rows "$db" "$ROWS_CLONE" "pggraft baseline"
    sql postgres "DROP DATABASE $db WITH (FORCE)"
}

clone_baseline_verified() {
    local run="$1" db="dst_baseline_verified"
    fresh_db "$db"
    checkpoint
    measure baseline-verified "$run" "$PGGRAFT_BASELINE" clone --source "$BASE/src" --target "$BASE/$db" \
        -n public -n shop --exclude-table-data shop.cache --jobs 2 --index-jobs 2
    check_rows "$db" "$ROWS_CLONE" "pggraft baseline (verified)"
    sql postgres "DROP DATABASE $db WITH (FORCE)"
}

clone_pggraft() {
    local run="$1" db="dst_pggraft"
    fresh_db "$db"
    checkpoint
    measure pggraft "$run" "$PGGRAFT" clone --source "$BASE/src" --target "$BASE/$db" \
        -n public -n shop --exclude-table-data shop.cache --jobs 2 --index-jobs 2 --no-verify
    check_rows "$db" "$ROWS_CLONE" pggraft
    if [ "$run" -eq 1 ]; then
        echo "== pggraft verify --level checksums of this copy (shop.cache left out: its rows were not copied)"
        local rc=0
        "$PGGRAFT" verify --source "$BASE/src" --target "$BASE/$db" -n public -n shop -T shop.cache \
            --level checksums --jobs 2 >"$OUT/verify.txt" 2>&1 || rc=$?
        sed 's/^/   /' "$OUT/verify.txt"
        echo "   exit code: $rc"
        [ "$rc" -eq 0 ] || die "pggraft verify found differences or failed (exit $rc)"
    fi
    sql postgres "DROP DATABASE $db WITH (FORCE)"
}

# The default clone: it verifies the copy (checksums) before it returns.
clone_verified() {
    local run="$1" db="dst_verified"
    fresh_db "$db"
    checkpoint
    measure pggraft-verified "$run" "$PGGRAFT" clone --source "$BASE/src" --target "$BASE/$db" \
        -n public -n shop --exclude-table-data shop.cache --jobs 2 --index-jobs 2
    check_rows "$db" "$ROWS_CLONE" "pggraft (verified)"
    sql postgres "DROP DATABASE $db WITH (FORCE)"
}

clone_unlogged() {
    local run="$1" db="dst_unlogged"
    fresh_db "$db"
    checkpoint
    measure pggraft-unlogged "$run" "$PGGRAFT" clone --source "$BASE/src" --target "$BASE/$db" \
        -n public -n shop --exclude-table-data shop.cache --jobs 2 --index-jobs 2 --unlogged
    check_rows "$db" "$ROWS_CLONE" "pggraft --unlogged"
    sql postgres "DROP DATABASE $db WITH (FORCE)"
}

clone_pgcopydb() {
    local run="$1" db="dst_pgcopydb" dir="$WORK/pgcopydb-$1"
    fresh_db "$db"
    checkpoint
    # pgcopydb runs pg_dump and pg_restore: the same binaries as the pg_dump contender.
    PATH="$BINDIR:$PATH" measure pgcopydb "$run" pgcopydb clone --source "$BASE/src" \
        --target "$BASE/$db" --table-jobs 2 --index-jobs 2 --dir "$dir" --filters "$PGCOPYDB_FILTERS"
    check_rows "$db" "$ROWS_CLONE" pgcopydb
    rm -rf -- "$dir"
    sql postgres "DROP DATABASE $db WITH (FORCE)"
}

clone_pg_dump() {
    local run="$1" db="dst_pg_dump" dir="$WORK/pg_dump-$1"
    fresh_db "$db"
    checkpoint
    measure "pg_dump+dump" "$run" "$BINDIR/pg_dump" -Fd -j2 -f "$dir" -N '"Odd Schema"' \
        --exclude-table-data shop.cache "$BASE/src"
    measure "pg_dump+restore" "$run" "$BINDIR/pg_restore" -j2 -d "$BASE/$db" "$dir"
    check_rows "$db" "$ROWS_CLONE" "pg_dump + pg_restore"
    rm -rf -- "$dir"
    sql postgres "DROP DATABASE $db WITH (FORCE)"
}

BASELINE=()
if [ -n "${PGGRAFT_BASELINE:-}" ]; then
    [ -x "$PGGRAFT_BASELINE" ] || die "PGGRAFT_BASELINE=$PGGRAFT_BASELINE is not an executable"
    BASELINE=(baseline baseline_verified)
fi

LOAD_BEFORE="$(loadavg)"
echo "== part 1: src -> a fresh database, $RUNS runs (order rotates)"
for ((run = 1; run <= RUNS; run++)); do
    for tool in $(rotate $((run - 1)) pggraft verified unlogged pgcopydb pg_dump "${BASELINE[@]}"); do
        "clone_$tool" "$run"
    done
done

# --- Part 2: within one database ---------------------------------------------------------------
same_baseline() {
    local run="$1"
    checkpoint
    measure same-baseline "$run" "$PGGRAFT_BASELINE" clone --source "$BASE/src" --target "$BASE/src" \
        -n public=public_copy --jobs 2 --index-jobs 2 --no-verify
    [ "$(user_rows src public_copy)" -eq "$ROWS_SAME" ] || die "pggraft baseline (same database) copied a different number of rows"
    sql src "DROP SCHEMA public_copy CASCADE"
}

same_baseline_verified() {
    local run="$1"
    checkpoint
    measure same-baseline-verified "$run" "$PGGRAFT_BASELINE" clone --source "$BASE/src" --target "$BASE/src" \
        -n public=public_copy --jobs 2 --index-jobs 2
    [ "$(user_rows src public_copy)" -eq "$ROWS_SAME" ] || die "pggraft baseline (same database, verified) copied a different number of rows"
    sql src "DROP SCHEMA public_copy CASCADE"
}

same_pggraft() {
    local run="$1"
    checkpoint
    measure same-pggraft "$run" "$PGGRAFT" clone --source "$BASE/src" --target "$BASE/src" \
        -n public=public_copy --jobs 2 --index-jobs 2 --no-verify
    [ "$(user_rows src public_copy)" -eq "$ROWS_SAME" ] || die "pggraft (same database) copied a different number of rows"
    if [ "$run" -eq 1 ]; then
        local rc=0
        "$PGGRAFT" verify --source "$BASE/src" --target "$BASE/src" -n public=public_copy \
            --level checksums --jobs 2 >"$OUT/verify-same.txt" 2>&1 || rc=$?
        echo "   pggraft verify -n public=public_copy --level checksums: exit $rc, $(tail -n 1 "$OUT/verify-same.txt")"
        [ "$rc" -eq 0 ] || die "pggraft verify found differences in public_copy (exit $rc)"
    fi
    sql src "DROP SCHEMA public_copy CASCADE"
}

same_verified() {
    local run="$1"
    checkpoint
    measure same-verified "$run" "$PGGRAFT" clone --source "$BASE/src" --target "$BASE/src" \
        -n public=public_copy --jobs 2 --index-jobs 2
    [ "$(user_rows src public_copy)" -eq "$ROWS_SAME" ] || die "pggraft (same database, verified) copied a different number of rows"
    sql src "DROP SCHEMA public_copy CASCADE"
}

same_unlogged() {
    local run="$1"
    checkpoint
    measure same-unlogged "$run" "$PGGRAFT" clone --source "$BASE/src" --target "$BASE/src" \
        -n public=public_copy --jobs 2 --index-jobs 2 --unlogged
    [ "$(user_rows src public_copy)" -eq "$ROWS_SAME" ] || die "pggraft --unlogged (same database) copied a different number of rows"
    sql src "DROP SCHEMA public_copy CASCADE"
}

SQL_LOOP="$OUT/sql-loop.sql"
cat >"$SQL_LOOP" <<'EOF'
CREATE SCHEMA public_copy;
DO $$
DECLARE t name;
BEGIN
  FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           ORDER BY c.relname LOOP
    EXECUTE format('CREATE TABLE public_copy.%I (LIKE public.%I INCLUDING ALL)', t, t);
    EXECUTE format('INSERT INTO public_copy.%I SELECT * FROM public.%I', t, t);
  END LOOP;
END $$;
EOF

same_sql_loop() {
    local run="$1"
    checkpoint
    measure same-sql-loop "$run" "${PSQL[@]}" "$BASE/src" -f "$SQL_LOOP"
    [ "$(user_rows src public_copy)" -eq "$ROWS_SAME" ] || die "the SQL loop copied a different number of rows"
    sql src "DROP SCHEMA public_copy CASCADE"
}

echo "== part 2: src.public -> src.public_copy, $RUNS runs (order alternates)"
for ((run = 1; run <= RUNS; run++)); do
    for tool in $(rotate $((run - 1)) pggraft verified unlogged sql_loop "${BASELINE[@]}"); do
        "same_$tool" "$run"
    done
done

LOAD_AFTER="$(loadavg)"

# --- Summary ---------------------------------------------------------------------------------
PGCOPYDB_VERSION="$(pgcopydb --version 2>/dev/null | sed -n 's/^pgcopydb version //p' | head -n 1)"
echo
echo "pggraft clone benchmark: $("$BINDIR/postgres" --version), $(nproc) CPUs, median of $RUNS runs"
echo "server: $SERVER_SETTINGS"
echo "load average (1/5/15 min) before the timed runs: $LOAD_BEFORE; after: $LOAD_AFTER"
echo "src: pgbench -i -s $SCALE + pggraft sample (scale $SAMPLE_SCALE), $SRC_SIZE"
echo "pgcopydb $PGCOPYDB_VERSION; pggraft: ${PGGRAFT_BIN:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)}${PGGRAFT_BASELINE:+; baseline: $PGGRAFT_BASELINE}"
echo
echo "1. src -> fresh database (schemas public + shop, shop.cache without rows: $ROWS_CLONE rows)"
BASE1=() BASE2=()
if [ -n "${PGGRAFT_BASELINE:-}" ]; then
    BASE1=("baseline|pggraft baseline --no-verify|$ROWS_CLONE"
        "baseline-verified|pggraft baseline (verifies)|$ROWS_CLONE")
    BASE2=("same-baseline|pggraft baseline --no-verify|$ROWS_SAME"
        "same-baseline-verified|pggraft baseline (verifies)|$ROWS_SAME")
fi
summarise pggraft \
    "pggraft|pggraft clone -j2 --index-jobs 2 --no-verify|$ROWS_CLONE" \
    "pggraft-verified|pggraft clone -j2 --index-jobs 2 (verifies)|$ROWS_CLONE" \
    "pggraft-unlogged|pggraft clone -j2 --index-jobs 2 --unlogged (verifies)|$ROWS_CLONE" \
    "pgcopydb|pgcopydb clone --table-jobs 2 --index-jobs 2|$ROWS_CLONE" \
    "pg_dump|pg_dump -Fd -j2 + pg_restore -j2|$ROWS_CLONE" \
    "${BASE1[@]}"
echo
echo "2. src.public -> src.public_copy ($ROWS_SAME rows)"
summarise same-pggraft \
    "same-pggraft|pggraft clone -n public=public_copy -j2 --no-verify|$ROWS_SAME" \
    "same-verified|pggraft clone -n public=public_copy -j2 (verifies)|$ROWS_SAME" \
    "same-unlogged|pggraft clone -n public=public_copy -j2 --unlogged (verifies)|$ROWS_SAME" \
    "same-sql-loop|psql: LIKE INCLUDING ALL + INSERT SELECT|$ROWS_SAME" \
    "${BASE2[@]}"
echo
echo "ratios are contender time / pggraft time (above 1: pggraft is faster); raw data: $OUT"
