#!/usr/bin/env bash
# Benchmark: `pggraft refresh` (incremental, watermark, reload) against a fresh clone and the
# truncate-and-reload loop people use today, same data, same run.
#
#   scripts/bench-refresh.sh                     # pgbench scale 20, 3 timed runs per contender
#   scripts/bench-refresh.sh --runs 5 --scale 50
#
# One throwaway PostgreSQL cluster (temp dir, free port on 127.0.0.1, run as the `postgres` OS
# user when the script runs as root; fsync, synchronous_commit and full_page_writes off, alike for
# every contender). Database `src` holds `pgbench -i -s SCALE`, with an `updated_at timestamptz`
# column (indexed) added to pgbench_accounts. `pggraft clone` copies it to database `base` (untimed;
# the clone records itself in base's pggraft.copies). Then the source changes: 1% of
# pgbench_accounts updated (every 100th aid, so the changes are spread over every key range: the
# hard case for range hashing), 0.1% deleted, 0.1% inserted.
#
# Each timed run starts from a fresh `CREATE DATABASE run TEMPLATE base` (untimed) and times one of
#   pggraft refresh --mode incremental -j2                      (no other flag: the record; rows
#                                                               written since the copy by xmin)
#   pggraft refresh --mode incremental --full-compare -j2       (every row's hash compared)
#   pggraft refresh --watermark updated_at -j2                  (deletes at the source kept)
#   pggraft refresh --watermark updated_at --delete-missing -j2
#   pggraft refresh -j2                                         (reload)
#   pggraft clone -n public --drop-if-exists --no-verify -j2 --index-jobs 2
#   the truncate-and-reload loop: per table, in one transaction on the target,
#     TRUNCATE t CASCADE; \copy t FROM STDIN   fed by   \copy t TO STDOUT   on the source
# and the order of the contenders rotates from run to run. A CHECKPOINT precedes every timed
# command. After every run the copy must hold the source's rows (row count and a hash of every row
# of pgbench_accounts); after the first run of each contender `pggraft verify --level checksums`
# must find the copy identical (exit 0). The watermark refresh without --delete-missing must hold
# every source row and keep exactly the rows deleted at the source.
#
# Printed: median wall time, the ratio to the reload, rows/s (rows of the source's tables per
# second of wall time) and peak client RSS (GNU time %M). Goals: incremental at most 0.4 of the
# reload, watermark at most 0.15 (the --delete-missing one compares every key as well), the reload
# no slower than the fresh clone.
#
# PGGRAFT_BIN=/path/to/pggraft measures that binary instead of building target/release/pggraft.
#
# Needs: cargo, PostgreSQL server binaries (PGGRAFT_PG_BINDIR, `pg_config --bindir` or
# /usr/lib/postgresql/*/bin, pgbench among them), python3 and GNU time (installed with apt-get when
# missing). Raw measurements and logs go to bench-results/refresh-*/. The cluster is stopped and
# deleted on exit, however the script ends.
set -euo pipefail

RUNS=3
SCALE=20
usage() { sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//'; }
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
BENCH_NAME=bench-refresh
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

ensure_tools
BINDIR="$(find_bindir)"
[ -x "$BINDIR/pgbench" ] || die "no pgbench in $BINDIR"
build_pggraft
start_cluster

OUT="$ROOT/bench-results/refresh-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
RESULTS="$OUT/results.txt"
: >"$RESULTS"

# --- Data ------------------------------------------------------------------------------------
echo "== loading src: pgbench -i -s $SCALE, pgbench_accounts.updated_at (indexed)"
started=$SECONDS
sql postgres "CREATE DATABASE src TEMPLATE template0"
"$BINDIR/pgbench" -i -q -s "$SCALE" "$BASE/src" >"$OUT/load-pgbench.log" 2>&1 ||
    { cat "$OUT/load-pgbench.log" >&2; die "pgbench -i failed"; }
sql src "ALTER TABLE pgbench_accounts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()" \
    "CREATE INDEX pgbench_accounts_updated_at ON pgbench_accounts (updated_at)" \
    "VACUUM ANALYZE"
echo "   done in $((SECONDS - started))s"

echo "== the copy: pggraft clone src -> base (untimed)"
sql postgres "CREATE DATABASE base TEMPLATE template0"
"$PGGRAFT" clone --source "$BASE/src" --target "$BASE/base" -n public --no-verify --jobs 2 \
    --index-jobs 2 >"$OUT/clone-base.log" 2>&1 || { cat "$OUT/clone-base.log" >&2; die "the first clone failed"; }
sql base "VACUUM ANALYZE"

ACCOUNTS=$(sql src "SELECT count(*) FROM pgbench_accounts")
echo "== changing the source: of $ACCOUNTS accounts, 1% updated, 0.1% deleted, 0.1% inserted"
# The updates come well after the copy's snapshot: the watermark sees them as new.
sleep 1
sql src "UPDATE pgbench_accounts SET abalance = abalance + 1, updated_at = clock_timestamp() WHERE aid % 100 = 7" \
    "DELETE FROM pgbench_accounts WHERE aid % 1000 = 3" \
    "INSERT INTO pgbench_accounts (aid, bid, abalance, filler, updated_at)
     SELECT $ACCOUNTS + g, 1 + (g - 1) % $SCALE, 0, repeat(' ', 84), clock_timestamp()
     FROM generate_series(1, $ACCOUNTS / 1000) g" \
    "VACUUM ANALYZE"
ROWS=$(user_rows src public)
SRC_SIZE=$(sql src "SELECT pg_size_pretty(pg_database_size('src'))")
CHANGED=$(sql src "SELECT count(*) FROM pgbench_accounts WHERE aid % 100 = 7 OR aid > $ACCOUNTS")
echo "   src: $SRC_SIZE, $ROWS rows; $CHANGED accounts updated or inserted, $((ACCOUNTS / 1000)) deleted"
SRC_HASH=$(sql src "SELECT count(*) || ':' || sum(hashtextextended(t::text, 0)) FROM pgbench_accounts t")

checkpoint() { sql postgres "CHECKPOINT"; }

fresh_run_db() {
    sql postgres "DROP DATABASE IF EXISTS run WITH (FORCE)" "CREATE DATABASE run TEMPLATE base"
}

# check LABEL RUN: the copy holds the source's rows; the first run of a contender is verified too.
check() {
    local got
    got=$(sql run "SELECT count(*) || ':' || sum(hashtextextended(t::text, 0)) FROM pgbench_accounts t")
    [ "$got" = "$SRC_HASH" ] || die "$1 (run $2) left pgbench_accounts at $got, the source has $SRC_HASH"
    [ "$(user_rows run public)" -eq "$ROWS" ] || die "$1 (run $2) left $(user_rows run public) rows, expected $ROWS"
    if [ "$2" -eq 1 ]; then
        local rc=0
        "$PGGRAFT" verify --source "$BASE/src" --target "$BASE/run" -n public --level checksums \
            --jobs 2 >"$OUT/verify-$1.txt" 2>&1 || rc=$?
        echo "   pggraft verify after $1: exit $rc"
        [ "$rc" -eq 0 ] || die "pggraft verify found differences after $1 (exit $rc)"
    fi
}

run_incremental() {
    fresh_run_db
    checkpoint
    measure incremental "$1" "$PGGRAFT" refresh --target "$BASE/run" --mode incremental --jobs 2
    check incremental "$1"
}

# check_kept LABEL RUN: every source row is in the copy, and so are exactly the rows deleted at the
# source (a watermark refresh without --delete-missing does not look for them).
check_kept() {
    local f="aid % 1000 <> 3 OR aid > $ACCOUNTS" got kept
    got=$(sql run "SELECT count(*) || ':' || sum(hashtextextended(t::text, 0)) FROM pgbench_accounts t WHERE $f")
    [ "$got" = "$SRC_HASH" ] || die "$1 (run $2) left pgbench_accounts at $got, the source has $SRC_HASH"
    kept=$(sql run "SELECT count(*) FROM pgbench_accounts WHERE NOT ($f)")
    [ "$kept" -eq "$((ACCOUNTS / 1000))" ] || die "$1 (run $2) kept $kept deleted rows, not $((ACCOUNTS / 1000))"
}

run_incremental_full() {
    fresh_run_db
    checkpoint
    measure incremental-full "$1" "$PGGRAFT" refresh --target "$BASE/run" --mode incremental \
        --full-compare --jobs 2
    check incremental-full "$1"
}

run_watermark() {
    fresh_run_db
    checkpoint
    measure watermark "$1" "$PGGRAFT" refresh --target "$BASE/run" --watermark updated_at --jobs 2
    check_kept watermark "$1"
}

run_watermark_deletes() {
    fresh_run_db
    checkpoint
    measure watermark-deletes "$1" "$PGGRAFT" refresh --target "$BASE/run" --watermark updated_at \
        --delete-missing --jobs 2
    check watermark-deletes "$1"
}

run_reload() {
    fresh_run_db
    checkpoint
    measure reload "$1" "$PGGRAFT" refresh --target "$BASE/run" --jobs 2
    check reload "$1"
}

run_clone() {
    fresh_run_db
    checkpoint
    measure clone "$1" "$PGGRAFT" clone --source "$BASE/src" --target "$BASE/run" -n public \
        --drop-if-exists --no-verify --jobs 2 --index-jobs 2
    check clone "$1"
}

SQL_LOOP="$OUT/sql-loop.sh"
cat >"$SQL_LOOP" <<EOF
#!/usr/bin/env bash
# The loop people write: per table, the target truncates (CASCADE) and loads in one transaction.
set -euo pipefail
for t in pgbench_accounts pgbench_branches pgbench_tellers pgbench_history; do
    "$BINDIR/psql" --no-psqlrc -q -X -v ON_ERROR_STOP=1 "$BASE/src" -c "\\\\copy \$t TO STDOUT" |
        "$BINDIR/psql" --no-psqlrc -q -X -v ON_ERROR_STOP=1 -1 "$BASE/run" \\
            -c "TRUNCATE \$t CASCADE" -c "\\\\copy \$t FROM STDIN"
done
EOF
chmod +x "$SQL_LOOP"

run_sql_loop() {
    fresh_run_db
    checkpoint
    measure sql-loop "$1" "$SQL_LOOP"
    check sql-loop "$1"
}

LOAD_BEFORE="$(loadavg)"
echo "== $RUNS runs (order rotates)"
for ((run = 1; run <= RUNS; run++)); do
    for tool in $(rotate $((run - 1)) incremental incremental_full watermark watermark_deletes reload clone sql_loop); do
        "run_$tool" "$run"
    done
done
LOAD_AFTER="$(loadavg)"

# --- Summary ---------------------------------------------------------------------------------
echo
echo "pggraft refresh benchmark: $("$BINDIR/postgres" --version), $(nproc) CPUs, median of $RUNS runs"
echo "server: $SERVER_SETTINGS"
echo "load average (1/5/15 min) before the timed runs: $LOAD_BEFORE; after: $LOAD_AFTER"
echo "src: pgbench -i -s $SCALE (+ updated_at), $SRC_SIZE, $ROWS rows; changed since the copy:"
echo "     $CHANGED accounts updated or inserted, $((ACCOUNTS / 1000)) deleted (of $ACCOUNTS)"
echo "pggraft: ${PGGRAFT_BIN:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)}"
echo
summarise reload \
    "incremental|pggraft refresh --mode incremental -j2|$ROWS" \
    "incremental-full|pggraft refresh --mode incremental --full-compare|$ROWS" \
    "watermark|pggraft refresh --watermark updated_at|$ROWS" \
    "watermark-deletes|pggraft refresh --watermark updated_at --delete-missing|$ROWS" \
    "reload|pggraft refresh (reload) -j2|$ROWS" \
    "clone|pggraft clone --drop-if-exists --no-verify -j2|$ROWS" \
    "sql-loop|psql loop: TRUNCATE CASCADE + \\copy per table|$ROWS"
echo
echo "ratios are contender time / reload time (goals: incremental <= 0.4, watermark <= 0.15,"
echo "clone >= 1); rows/s counts every row of the copy; raw data: $OUT"
