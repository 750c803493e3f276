#!/usr/bin/env bash
# Benchmark: `pggraft verify --level checksums` against pgcopydb's `compare data`, same data,
# same run.
#
#   scripts/bench-verify.sh                      # pgbench scale 20, 3 timed runs per contender
#   scripts/bench-verify.sh --runs 5 --scale 50
#
# One throwaway PostgreSQL cluster (temp dir, free port on 127.0.0.1, run as the `postgres` OS
# user when the script runs as root; fsync, synchronous_commit and full_page_writes off). Database
# `src` holds `pgbench -i -s SCALE`; `pggraft clone` copies it to database `dst` of the same
# cluster (untimed). Then, in alternating order, each run times
#   pggraft verify --source src --target dst --level checksums --jobs 2
#   pgcopydb compare data --source src --target dst --table-jobs 2 --dir DIR
# and the script prints median wall time, the ratio to pggraft, rows/s and peak client RSS.
#
# pgcopydb gained `compare` in 0.13; Debian 12 ships 0.10, which has none. With such a pgcopydb
# the peer is a stand-in that sends pgcopydb's own per-table query (src/bin/pgcopydb/schema.c,
# schema_send_table_checksum) with its concurrency: per table, one session on each side running
#   select count(1), md5(format('%s-%s', sum(hashtext((cols)::text)::bigint), count(1)))::uuid
#   from only TABLE
# at the same time, two tables at a time (--table-jobs 2). The work is on the servers either
# way; the stand-in is psql driven by xargs -P 2, and the output says which peer ran.
#
# What the hashes are: pgcopydb sums a 32-bit hashtext() of each row's text form; pggraft sums a
# 64-bit hashtextextended() of each row's text form (in numeric, so the sum cannot overflow) and
# also compares the structure of both sides. After the timed runs both contenders must report a
# difference after one row of the copy is changed.
#
# PGGRAFT_BIN=/path/to/pggraft measures that binary instead of building target/release/pggraft.
#
# Needs: cargo, PostgreSQL server binaries (PGGRAFT_PG_BINDIR, `pg_config --bindir` or
# /usr/lib/postgresql/*/bin), python3, and GNU time and pgcopydb (installed with apt-get when
# missing). Raw measurements go to bench-results/verify-*/. The cluster is stopped and deleted on
# exit, however the script ends.
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
BENCH_NAME=bench-verify
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

ensure_tools pgcopydb
BINDIR="$(find_bindir)"
build_pggraft
start_cluster

OUT="$ROOT/bench-results/verify-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
RESULTS="$OUT/results.txt"
: >"$RESULTS"

# --- Data: src, and dst cloned from it ----------------------------------------------------------
echo "== loading src: pgbench -i -s $SCALE; cloning it to dst with pggraft (untimed)"
started=$SECONDS
sql postgres "CREATE DATABASE src TEMPLATE template0" "CREATE DATABASE dst TEMPLATE template0"
"$BINDIR/pgbench" -i -q -s "$SCALE" "$BASE/src" >"$OUT/load-pgbench.log" 2>&1 ||
    { cat "$OUT/load-pgbench.log" >&2; die "pgbench -i failed"; }
"$PGGRAFT" clone --source "$BASE/src" --target "$BASE/dst" --jobs 2 --index-jobs 2 --no-verify \
    >"$OUT/clone.log" 2>&1 || { tail -n 20 "$OUT/clone.log" >&2; die "pggraft clone src -> dst failed"; }
sql src "VACUUM ANALYZE"
sql dst "VACUUM ANALYZE"
ROWS=$(user_rows src)
[ "$(user_rows dst)" -eq "$ROWS" ] || die "dst does not have the rows of src after the clone"
SRC_SIZE=$(sql src "SELECT pg_size_pretty(pg_database_size('src'))")
echo "   done in $((SECONDS - started))s; src: $SRC_SIZE, $ROWS rows"

# --- The peer ----------------------------------------------------------------------------------
PGCOPYDB_VERSION="$(pgcopydb --version 2>/dev/null | sed -n 's/^pgcopydb version //p' | head -n 1)"
if pgcopydb compare data --help >/dev/null 2>&1; then
    PEER_DESC="pgcopydb $PGCOPYDB_VERSION compare data --table-jobs 2"
    PEER_ROW="pgcopydb compare data --table-jobs 2"
    peer_cmd() { # DIR: sets PEER, the command line
        PEER=(pgcopydb compare data --source "$BASE/src" --target "$BASE/dst" --table-jobs 2 --dir "$1")
    }
else
    PEER_DESC="pgcopydb compare data's queries (stand-in: pgcopydb $PGCOPYDB_VERSION has no compare)"
    PEER_ROW="pgcopydb compare data stand-in, 2 table jobs"
    STANDIN="$OUT/pgcopydb-compare-standin.sh"
    cat >"$STANDIN" <<'EOF'
#!/usr/bin/env bash
# Stand-in for `pgcopydb compare data --table-jobs JOBS`: pgcopydb's per-table checksum query,
# sent to both sides at once, JOBS tables at a time. Exit 1 when a table differs.
set -euo pipefail
psql="$1" src="$2" dst="$3" jobs="$4"
export psql src dst
# pgcopydb compares the source's ordinary tables ("from only"), the largest first.
"$psql" --no-psqlrc -X -At "$src" -c "
  SELECT format('select count(1) as cnt, md5(format(''%%s-%%s'', sum(hashtext(%s::text)::bigint), count(1)))::uuid as chksum from only %s',
                '(' || string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) || ')', c.oid::regclass)
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  GROUP BY c.oid
  ORDER BY pg_relation_size(c.oid) DESC" |
    xargs -d '\n' -P "$jobs" -n 1 bash -ec '
        q="$1" f="$(mktemp)"
        "$psql" --no-psqlrc -X -At "$src" -c "$q" >"$f" &
        b="$("$psql" --no-psqlrc -X -At "$dst" -c "$q")"
        wait $!
        a="$(cat "$f")"
        rm -f "$f"
        [ "$a" = "$b" ] || { echo "differs: ${q##* from only }: source $a, target $b"; exit 1; }' _
EOF
    chmod +x "$STANDIN"
    peer_cmd() { # DIR (unused by the stand-in): sets PEER, the command line
        PEER=("$STANDIN" "$BINDIR/psql" "$BASE/src" "$BASE/dst" 2)
    }
fi

# --- Timed runs --------------------------------------------------------------------------------
verify_pggraft() {
    sql postgres "CHECKPOINT"
    measure pggraft "$1" "$PGGRAFT" verify --source "$BASE/src" --target "$BASE/dst" \
        --level checksums --jobs 2
}
verify_pgcopydb() {
    local dir="$WORK/pgcopydb-$1"
    peer_cmd "$dir"
    sql postgres "CHECKPOINT"
    PATH="$BINDIR:$PATH" measure pgcopydb "$1" "${PEER[@]}"
    rm -rf -- "$dir"
}

LOAD_BEFORE="$(loadavg)"
echo "== $RUNS runs (order alternates)"
for ((run = 1; run <= RUNS; run++)); do
    for tool in $(rotate $((run - 1)) pggraft pgcopydb); do
        "verify_$tool" "$run"
    done
done

# --- Both must notice a changed row ------------------------------------------------------------
echo "== changing one row of dst.pgbench_accounts: both must report a difference"
sql dst "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1"
rc=0
"$PGGRAFT" verify --source "$BASE/src" --target "$BASE/dst" --level checksums --jobs 2 \
    >"$OUT/changed-pggraft.txt" 2>&1 || rc=$?
echo "   pggraft verify: exit $rc: $(grep -m1 'differs' "$OUT/changed-pggraft.txt" || tail -n 1 "$OUT/changed-pggraft.txt")"
[ "$rc" -eq 1 ] || die "pggraft verify did not report the changed row (exit $rc)"
peer_cmd "$WORK/pgcopydb-changed"
rc=0
PATH="$BINDIR:$PATH" "${PEER[@]}" >"$OUT/changed-pgcopydb.txt" 2>&1 || rc=$?
echo "   pgcopydb compare: exit $rc: $(grep -m1 -i 'differs\|checksum' "$OUT/changed-pgcopydb.txt" || tail -n 1 "$OUT/changed-pgcopydb.txt")"
[ "$rc" -ne 0 ] || die "the pgcopydb compare did not report the changed row"

LOAD_AFTER="$(loadavg)"

# --- Summary ---------------------------------------------------------------------------------
echo
echo "pggraft verify benchmark: $("$BINDIR/postgres" --version), $(nproc) CPUs, median of $RUNS runs"
echo "server: $SERVER_SETTINGS"
echo "load average (1/5/15 min) before the timed runs: $LOAD_BEFORE; after: $LOAD_AFTER"
echo "src: pgbench -i -s $SCALE, $SRC_SIZE, $ROWS rows; dst: its pggraft clone, same cluster"
echo "pggraft: ${PGGRAFT_BIN:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)}; peer: $PEER_DESC"
echo
summarise pggraft \
    "pggraft|pggraft verify --level checksums --jobs 2|$ROWS" \
    "pgcopydb|$PEER_ROW|$ROWS"
echo
echo "ratio = peer time / pggraft time (above 1: pggraft is faster); rows/s counts the rows of one side."
echo "hashes: pgcopydb sums 32-bit hashtext(row::text) per table; pggraft sums 64-bit"
echo "hashtextextended(row::text) per table and also compares the structure of both sides."
echo "raw data: $OUT"
