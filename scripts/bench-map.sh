#!/usr/bin/env bash
# Benchmark: `pggraft map run` (each strategy) against Confiture's schema-to-schema migration
# (`confiture migrate schema-to-schema`, FDW and COPY strategies), same data, same run.
#
#   scripts/bench-map.sh                      # 1,000,000 rows, 3 timed runs per contender
#   scripts/bench-map.sh --rows 5000000 --runs 3
#
# One throwaway PostgreSQL cluster (temp dir, free port on 127.0.0.1, run as the `postgres` OS user
# when the script runs as root; fsync, synchronous_commit and full_page_writes off, alike for every
# contender). Database `src` holds old_accounts (ROWS rows: id bigint primary key, full_name,
# email, created_at, balance_cents bigint, note); database `dst` holds the new shape, accounts (id,
# display_name, email_address, signed_up_at, balance numeric(12,2), note): three renamed columns
# and one transform (cents to dollars). Database `same` holds both (schemas old and new), for the
# strategy that runs inside one database. Each timed run starts from an empty target table
# (TRUNCATE, untimed) and a CHECKPOINT, and times one of
#   pggraft map run --strategy copy     src -> dst   (COPY (SELECT …) streamed, binary)
#   pggraft map run --strategy server   same -> same (INSERT … SELECT in one database)
#   pggraft map run --strategy fdw      src -> dst   (INSERT … SELECT on dst from foreign tables)
#   confiture … schema-to-schema setup + migrate --strategy fdw    src -> dst
#   confiture … schema-to-schema setup + migrate --strategy copy   src -> dst
# in an order that rotates from run to run. Confiture's column mapping renames only: it cannot
# apply the transform, so its balance column gets the cents unconverted (the rows it moves are
# checked by count; a hand-written UPDATE would add to its time, which is not counted). After
# every pggraft run the target must hold exactly what the mapping makes of the source (count and
# hash of every row) and `pggraft map verify` must agree after the first.
#
# Printed: median wall time, ratio to pggraft's copy strategy, rows/s and peak client RSS (GNU time
# %M). Goal: the best pggraft strategy at least 3x Confiture's best rows/s, with client memory
# flat as the table grows (run two sizes).
#
# Confiture is installed with pip into a virtualenv (CONFITURE_VENV, default
# /tmp/confiture-venv) when it is not there. PGGRAFT_BIN=/path/to/pggraft measures that binary
# instead of building target/release/pggraft. Needs cargo, PostgreSQL server binaries with
# postgres_fdw (PGGRAFT_PG_BINDIR, `pg_config --bindir` or /usr/lib/postgresql/*/bin), python3
# and GNU time. Raw measurements and logs go to bench-results/map-*/. The cluster is stopped and
# deleted on exit, however the script ends.
set -euo pipefail

RUNS=3
ROWS=1000000
usage() { sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --rows) ROWS="${2:?--rows needs a number}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "error: --runs must be a positive integer" >&2; exit 2; }
[[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || { echo "error: --rows must be a positive integer" >&2; exit 2; }

cd "$(dirname "$0")/.."
ROOT="$PWD"
BENCH_NAME=bench-map
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

ensure_tools
BINDIR="$(find_bindir)"
build_pggraft
CONFITURE_VENV="${CONFITURE_VENV:-/tmp/confiture-venv}"
if [ ! -x "$CONFITURE_VENV/bin/confiture" ]; then
    echo "== installing Confiture (pip install fraiseql-confiture into $CONFITURE_VENV)"
    python3 -m venv "$CONFITURE_VENV"
    "$CONFITURE_VENV/bin/pip" install -q fraiseql-confiture || die "could not install fraiseql-confiture"
fi
CONFITURE="$CONFITURE_VENV/bin/confiture"
CONFITURE_VERSION="$("$CONFITURE_VENV/bin/pip" show fraiseql-confiture 2>/dev/null | sed -n 's/^Version: //p')"
start_cluster

OUT="$ROOT/bench-results/map-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
RESULTS="$OUT/results.txt"
: >"$RESULTS"

# --- Data ------------------------------------------------------------------------------------
OLD_TABLE="CREATE TABLE old_accounts (
    id bigint PRIMARY KEY, full_name text NOT NULL, email text NOT NULL,
    created_at timestamptz NOT NULL, balance_cents bigint NOT NULL, note text)"
NEW_TABLE="CREATE TABLE accounts (
    id bigint PRIMARY KEY, display_name text NOT NULL, email_address text NOT NULL,
    signed_up_at timestamptz NOT NULL, balance numeric(12, 2) NOT NULL, note text)"
FILL="INSERT INTO old_accounts SELECT g, 'Customer number ' || g, 'customer' || g || '@example.com',
    timestamptz '2020-01-01' + g * interval '1 minute', (g::bigint * 7919) % 10000000,
    CASE WHEN g % 3 = 0 THEN 'note ' || g END FROM generate_series(1, $ROWS) g"

echo "== loading src, dst and same: $ROWS rows of old_accounts"
started=$SECONDS
sql postgres "CREATE DATABASE src TEMPLATE template0" "CREATE DATABASE dst TEMPLATE template0" \
    "CREATE DATABASE same TEMPLATE template0"
sql src "$OLD_TABLE" "$FILL" "VACUUM ANALYZE"
sql dst "$NEW_TABLE"
sql same "CREATE SCHEMA old" "CREATE SCHEMA new" "SET search_path = old" "$OLD_TABLE" "$FILL" \
    "SET search_path = new" "$NEW_TABLE" "VACUUM ANALYZE"
SRC_SIZE=$(sql src "SELECT pg_size_pretty(pg_total_relation_size('old_accounts'))")
echo "   done in $((SECONDS - started))s; old_accounts: $SRC_SIZE"

MAPPING="$OUT/mapping.toml"
cat >"$MAPPING" <<'EOF'
[tables.accounts]
from = "old_accounts"
[tables.accounts.columns]
display_name = "full_name"
email_address = "email"
signed_up_at = "created_at"
balance = "(balance_cents::numeric / 100)::numeric(12,2)"
EOF
MAPPING_SAME="$OUT/mapping-same.toml"
sed -e 's/\[tables.accounts\]/[tables."new.accounts"]/' -e 's/tables.accounts.columns/tables."new.accounts".columns/' \
    -e 's/from = "old_accounts"/from = "old.old_accounts"/' "$MAPPING" >"$MAPPING_SAME"
CONFITURE_MAPPING="$OUT/confiture-mapping.yaml"
cat >"$CONFITURE_MAPPING" <<'EOF'
accounts:
  source_table: old_accounts
  target_table: accounts
  columns:
    id: id
    full_name: display_name
    email: email_address
    created_at: signed_up_at
    balance_cents: balance
    note: note
EOF

EXPECTED="SELECT id, full_name, email, created_at, round(balance_cents / 100.0, 2), note FROM old_accounts"
GOT="SELECT id, display_name, email_address, signed_up_at, balance, note FROM accounts"
hash_of() { sql "$1" "SELECT count(*) || ':' || sum(hashtextextended(t::text, 0)) FROM ($2) t"; }
SRC_HASH=$(hash_of src "$EXPECTED")

checkpoint() { sql postgres "CHECKPOINT"; }

run_pggraft_copy() {
    sql dst "TRUNCATE accounts"
    checkpoint
    measure pggraft-copy "$1" "$PGGRAFT" map run --source "$BASE/src" --target "$BASE/dst" \
        --mapping "$MAPPING" --strategy copy
    [ "$(hash_of dst "$GOT")" = "$SRC_HASH" ] || die "pggraft copy (run $1) left different rows"
    if [ "$1" -eq 1 ]; then
        "$PGGRAFT" map verify --source "$BASE/src" --target "$BASE/dst" --mapping "$MAPPING" \
            >"$OUT/verify-copy.txt" 2>&1 || die "pggraft map verify found differences after the copy"
    fi
}

run_pggraft_fdw() {
    sql dst "TRUNCATE accounts"
    checkpoint
    measure pggraft-fdw "$1" "$PGGRAFT" map run --source "$BASE/src" --target "$BASE/dst" \
        --mapping "$MAPPING" --strategy fdw
    [ "$(hash_of dst "$GOT")" = "$SRC_HASH" ] || die "pggraft fdw (run $1) left different rows"
    "$PGGRAFT" map cleanup --target "$BASE/dst" >/dev/null
}

run_pggraft_server() {
    sql same "TRUNCATE new.accounts"
    checkpoint
    measure pggraft-server "$1" "$PGGRAFT" map run --source "$BASE/same" --target "$BASE/same" \
        --mapping "$MAPPING_SAME" --strategy server
    [ "$(sql same "SELECT count(*) || ':' || sum(hashtextextended(t::text, 0)) FROM (SELECT * FROM new.accounts) t")" = "$SRC_HASH" ] ||
        die "pggraft server (run $1) left different rows"
}

# Confiture's FDW objects are dropped after each run (untimed), as its cleanup command does.
confiture_run() {
    local label="$1" strategy="$2" run="$3"
    sql dst "TRUNCATE accounts"
    "$CONFITURE" migrate schema-to-schema cleanup --source "$BASE/src" --target "$BASE/dst" \
        >"$OUT/$label-cleanup-$run.log" 2>&1 || true
    checkpoint
    measure "$label+setup" "$run" "$CONFITURE" migrate schema-to-schema setup --source "$BASE/src" \
        --target "$BASE/dst"
    measure "$label+migrate" "$run" "$CONFITURE" migrate schema-to-schema migrate --source "$BASE/src" \
        --target "$BASE/dst" --mapping "$CONFITURE_MAPPING" --strategy "$strategy"
    [ "$(sql dst "SELECT count(*) FROM accounts")" -eq "$ROWS" ] || die "confiture $strategy (run $run) left $(sql dst "SELECT count(*) FROM accounts") rows"
}

run_confiture_fdw() { confiture_run confiture-fdw fdw "$1"; }
run_confiture_copy() { confiture_run confiture-copy copy "$1"; }

LOAD_BEFORE="$(loadavg)"
echo "== $RUNS runs (order rotates)"
for ((run = 1; run <= RUNS; run++)); do
    for tool in $(rotate $((run - 1)) pggraft_copy pggraft_server pggraft_fdw confiture_fdw confiture_copy); do
        "run_$tool" "$run"
    done
done
LOAD_AFTER="$(loadavg)"

# --- Summary ---------------------------------------------------------------------------------
echo
echo "pggraft map benchmark: $("$BINDIR/postgres" --version), $(nproc) CPUs, median of $RUNS runs"
echo "server: $SERVER_SETTINGS"
echo "load average (1/5/15 min) before the timed runs: $LOAD_BEFORE; after: $LOAD_AFTER"
echo "old_accounts: $ROWS rows, $SRC_SIZE; 3 renamed columns, 1 transform (cents -> dollars)"
echo "pggraft: ${PGGRAFT_BIN:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)}; confiture: fraiseql-confiture $CONFITURE_VERSION"
echo
summarise pggraft-copy \
    "pggraft-copy|pggraft map run --strategy copy (across databases)|$ROWS" \
    "pggraft-server|pggraft map run --strategy server (one database)|$ROWS" \
    "pggraft-fdw|pggraft map run --strategy fdw (across databases)|$ROWS" \
    "confiture-fdw|confiture schema-to-schema setup + migrate (fdw)*|$ROWS" \
    "confiture-copy|confiture schema-to-schema setup + migrate (copy)*|$ROWS"
echo
echo "* renames only: Confiture cannot apply the transform (balance gets the cents as they are)."
echo "ratios are contender time / pggraft copy time; raw data: $OUT"
