#!/usr/bin/env bash
# Benchmark: `pggraft diff` against migra, on the same databases, in the same run.
#
#   scripts/bench-diff.sh                        # 5,000 tables, 500 changes, 3 timed runs each
#   scripts/bench-diff.sh --runs 5 --tables 2000 --changes 200
#
# One throwaway PostgreSQL cluster (temp dir, free port on 127.0.0.1, run as the `postgres` OS
# user when the script runs as root; fsync, synchronous_commit and full_page_writes off). The
# same generator fills databases `a` and `b` with TABLES tables in schema `app` (10 columns, a
# primary key and one more index each); then CHANGES differences are applied to `b`, one per
# table, spread evenly over the tables and round-robin over ten kinds: added columns, dropped
# columns, changed column types, new indexes, dropped indexes, changed defaults, new tables,
# dropped tables, NOT NULL changes, new CHECK constraints.
#
# Timed, in an order that rotates from run to run, after one untimed warm-up run of each (which
# also writes the scripts that are counted and applied below):
#   pggraft diff URL/a URL/b -n app --allow-hazards all --no-self-check -o /dev/null
#   pggraft diff URL/a URL/b -n app --allow-hazards all -o /dev/null     (self-check: the plan is
#       applied to a copy of `a` in a throwaway cluster that pggraft starts, and re-diffed)
#   migra --unsafe --schema app postgresql+psycopg2://.../a postgresql+psycopg2://.../b >/dev/null
# Printed: median wall time, the ratio to pggraft --no-self-check, peak client RSS (GNU time %M:
# the largest process of the client's tree; for the self-check that includes pggraft's own
# initdb/postgres children), the number of statements each script holds, and the self-check's
# own time (the same diff with it less without it; for the baseline too when there is one).
#
# Then, once, correctness: pggraft's script is applied to `a2`, and migra's to `a3` (both made by
# the same generator as `a`); `pggraft diff --check` against `b` must find nothing left for
# pggraft's (exit 0), and is reported for migra's; migra also compares `a2` with `b` (a peer's
# view of pggraft's result).
#
# PGGRAFT_BIN=/path/to/pggraft measures that binary instead of building target/release/pggraft.
#
# Needs: cargo, PostgreSQL server binaries (PGGRAFT_PG_BINDIR, `pg_config --bindir` or
# /usr/lib/postgresql/*/bin), python3 with pip (migra, psycopg2-binary and setuptools are
# installed with pip when migra is missing or broken), GNU time (apt-get when missing). Raw
# measurements, the scripts and tool logs go to bench-results/diff-*/. The cluster is stopped and
# deleted on exit, however the script ends.
set -euo pipefail

RUNS=3
TABLES=5000
CHANGES=500
BATCH=500
usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --tables) TABLES="${2:?--tables needs a number}"; shift 2 ;;
    --changes) CHANGES="${2:?--changes needs a number}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in RUNS TABLES CHANGES; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "error: --${v,,} must be a positive integer" >&2; exit 2; }
done
[ "$CHANGES" -le "$TABLES" ] ||
    { echo "error: --changes ($CHANGES) must not exceed --tables ($TABLES): one change per table" >&2; exit 2; }

cd "$(dirname "$0")/.."
ROOT="$PWD"
BENCH_NAME=bench-diff
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

# --- Tools ---------------------------------------------------------------------------------------
ensure_tools
# migra is deprecated; it imports pkg_resources, which newer setuptools no longer install by
# default, so `--help` is the test that it really runs.
if ! migra --help >/dev/null 2>&1; then
    echo "== installing migra (pip install migra psycopg2-binary setuptools)"
    python3 -m pip install --quiet migra psycopg2-binary setuptools >/dev/null 2>&1 ||
        die "pip install migra psycopg2-binary setuptools failed"
    hash -r
    migra --help >/dev/null 2>&1 || die "migra does not run after pip install"
fi
# Under pyenv, `migra` is a shim that starts pyenv before Python; time the real entry point.
MIGRA="$(pyenv which migra 2>/dev/null || command -v migra)"
MIGRA_VERSION="$(python3 -m pip show migra 2>/dev/null | sed -n 's/^Version: //p')"
BINDIR="$(find_bindir)"
build_pggraft
start_cluster

OUT="$ROOT/bench-results/diff-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
RESULTS="$OUT/results.txt"
: >"$RESULTS"
MURL="postgresql+psycopg2://postgres@127.0.0.1:$PORT"
WIDTH=$((${#TABLES} > 5 ? ${#TABLES} : 5))

# migra exits 2 when it found differences; for `measure`, that is success. Its script goes to
# /dev/null like pggraft's (-o /dev/null).
MIGRA_RUN="$OUT/migra-run.sh"
cat >"$MIGRA_RUN" <<EOF
#!/bin/sh
"$MIGRA" "\$@" >/dev/null
rc=\$?
[ \$rc -eq 2 ] && exit 0
exit \$rc
EOF
chmod +x "$MIGRA_RUN"

# --- Databases -----------------------------------------------------------------------------------
# generate DB: a fresh database DB with TABLES tables in schema app, in transactions of BATCH
# tables (each table takes a few locks until commit).
generate() {
    local db="$1" first last
    fresh_db "$db"
    sql "$db" "CREATE SCHEMA app"
    for ((first = 1; first <= TABLES; first += BATCH)); do
        last=$((first + BATCH - 1 < TABLES ? first + BATCH - 1 : TABLES))
        sql "$db" "DO \$\$
DECLARE t text;
BEGIN
  FOR i IN $first..$last LOOP
    t := 't_' || lpad(i::text, $WIDTH, '0');
    EXECUTE format(
      'CREATE TABLE app.%I (
         id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
         customer_id integer NOT NULL,
         name text NOT NULL,
         amount numeric(12,2) DEFAULT 0,
         created_at timestamptz NOT NULL DEFAULT now(),
         active boolean DEFAULT true,
         code varchar(40),
         due date,
         attrs jsonb,
         ref uuid)', t);
    EXECUTE format('CREATE INDEX %I ON app.%I (customer_id, created_at)', t || '_customer_idx', t);
  END LOOP;
END \$\$"
    done
}

# make_changes DB: CHANGES differences, change i on table 1 + i * TABLES / CHANGES (so each on its
# own table, spread over all of them), kind i % 10, variant (i / 10) % 2.
make_changes() {
    local db="$1" first last
    for ((first = 0; first < CHANGES; first += BATCH)); do
        last=$((first + BATCH - 1 < CHANGES - 1 ? first + BATCH - 1 : CHANGES - 1))
        sql "$db" "DO \$\$
DECLARE t text; n text; odd boolean;
BEGIN
  FOR i IN $first..$last LOOP
    t := 't_' || lpad((1 + i::bigint * $TABLES / $CHANGES)::text, $WIDTH, '0');
    n := 'n_' || lpad((i + 1)::text, $WIDTH, '0');
    odd := (i / 10) % 2 = 1;
    CASE i % 10
    WHEN 0 THEN  -- added column
      IF odd THEN EXECUTE format('ALTER TABLE app.%I ADD COLUMN score integer NOT NULL DEFAULT 0', t);
      ELSE EXECUTE format('ALTER TABLE app.%I ADD COLUMN extra text', t); END IF;
    WHEN 1 THEN  -- dropped column
      IF odd THEN EXECUTE format('ALTER TABLE app.%I DROP COLUMN ref', t);
      ELSE EXECUTE format('ALTER TABLE app.%I DROP COLUMN attrs', t); END IF;
    WHEN 2 THEN  -- changed type: one in an index (rewrite + index rebuild), one binary-coercible
      IF odd THEN EXECUTE format('ALTER TABLE app.%I ALTER COLUMN code TYPE varchar(80)', t);
      ELSE EXECUTE format('ALTER TABLE app.%I ALTER COLUMN customer_id TYPE bigint', t); END IF;
    WHEN 3 THEN  -- new index
      IF odd THEN EXECUTE format('CREATE INDEX %I ON app.%I (code) WHERE active', t || '_code_idx', t);
      ELSE EXECUTE format('CREATE INDEX %I ON app.%I (due)', t || '_due_idx', t); END IF;
    WHEN 4 THEN  -- dropped index
      EXECUTE format('DROP INDEX app.%I', t || '_customer_idx');
    WHEN 5 THEN  -- changed default: a different one, a new one
      IF odd THEN EXECUTE format('ALTER TABLE app.%I ALTER COLUMN due SET DEFAULT current_date', t);
      ELSE EXECUTE format('ALTER TABLE app.%I ALTER COLUMN amount SET DEFAULT 1', t); END IF;
    WHEN 6 THEN  -- new table (the odd ones with a foreign key to an existing table)
      EXECUTE format('CREATE TABLE app.%I (id bigint PRIMARY KEY, parent_id bigint, payload jsonb,
                        created_at timestamptz NOT NULL DEFAULT now())', n);
      EXECUTE format('CREATE INDEX %I ON app.%I (created_at)', n || '_created_idx', n);
      IF odd THEN
        EXECUTE format('ALTER TABLE app.%I ADD CONSTRAINT %I FOREIGN KEY (parent_id) REFERENCES app.%I (id)',
                       n, n || '_parent_fk', t);
      END IF;
    WHEN 7 THEN  -- dropped table
      EXECUTE format('DROP TABLE app.%I', t);
    WHEN 8 THEN  -- NOT NULL added, removed
      IF odd THEN EXECUTE format('ALTER TABLE app.%I ALTER COLUMN name DROP NOT NULL', t);
      ELSE EXECUTE format('ALTER TABLE app.%I ALTER COLUMN code SET NOT NULL', t); END IF;
    WHEN 9 THEN  -- new CHECK constraint
      IF odd THEN EXECUTE format('ALTER TABLE app.%I ADD CONSTRAINT %I CHECK (due > DATE ''2000-01-01'')',
                                 t, t || '_due_check');
      ELSE EXECUTE format('ALTER TABLE app.%I ADD CONSTRAINT %I CHECK (amount >= 0)', t, t || '_amount_check');
      END IF;
    END CASE;
  END LOOP;
END \$\$"
    done
}

# statements FILE: the number of SQL statements in a script: lines that end one, outside
# comments (neither tool emits function bodies for this schema), less session settings (pggraft
# starts with `SET check_function_bodies = false;`, which is no change to the schema).
statements() {
    grep -v -e '^[[:space:]]*--' -e '^SET ' "$1" | grep -c ';[[:space:]]*$' || true
}

echo "== generating a and b: $TABLES tables each; then $CHANGES changes to b"
started=$SECONDS
generate a
generate b
make_changes b
sql a "ANALYZE"
sql b "ANALYZE"
echo "   done in $((SECONDS - started))s; tables in app: a $(sql a "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'"), b $(sql b "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'")"

# --- Contenders ----------------------------------------------------------------------------------
PG_NOSELF=("$PGGRAFT" diff "$BASE/a" "$BASE/b" -n app --allow-hazards all --no-self-check)
PG_SELF=("$PGGRAFT" diff "$BASE/a" "$BASE/b" -n app --allow-hazards all)
MIGRA_CMD=("$MIGRA_RUN" --unsafe --schema app "$MURL/a" "$MURL/b")

# Warm-up, untimed; keeps each script for counting and applying.
echo "== warm-up (untimed), writing the scripts"
"${PG_NOSELF[@]}" -o "$OUT/pggraft.sql" 2>"$OUT/warmup-pggraft.log" ||
    { cat "$OUT/warmup-pggraft.log" >&2; die "pggraft diff --no-self-check failed"; }
"${PG_SELF[@]}" -o "$OUT/pggraft-selfcheck.sql" 2>"$OUT/warmup-pggraft-selfcheck.log" ||
    { cat "$OUT/warmup-pggraft-selfcheck.log" >&2; die "pggraft diff (with its self-check) failed"; }
rc=0
"$MIGRA" --unsafe --schema app "$MURL/a" "$MURL/b" >"$OUT/migra.sql" 2>"$OUT/warmup-migra.log" || rc=$?
[ "$rc" -eq 2 ] || { cat "$OUT/warmup-migra.log" >&2; die "migra exited $rc (2 expected: differences found)"; }
cmp -s "$OUT/pggraft.sql" "$OUT/pggraft-selfcheck.sql" ||
    echo "   note: pggraft wrote different scripts with and without the self-check (see $OUT)"
N_PGGRAFT=$(statements "$OUT/pggraft.sql")
N_MIGRA=$(statements "$OUT/migra.sql")

time_pggraft_noself() { measure pggraft "$1" "${PG_NOSELF[@]}" -o /dev/null; }
time_pggraft_self() { measure pggraft-selfcheck "$1" "${PG_SELF[@]}" -o /dev/null; }
time_migra() { measure migra "$1" "${MIGRA_CMD[@]}"; }
# PGGRAFT_BASELINE=/path/to/pggraft: an earlier build as one more contender (before and after).
BASELINE=()
if [ -n "${PGGRAFT_BASELINE:-}" ]; then
    [ -x "$PGGRAFT_BASELINE" ] || die "PGGRAFT_BASELINE=$PGGRAFT_BASELINE is not an executable"
    BASE_NOSELF=("$PGGRAFT_BASELINE" "${PG_NOSELF[@]:1}")
    BASE_SELF=("$PGGRAFT_BASELINE" "${PG_SELF[@]:1}")
    time_baseline_noself() { measure baseline "$1" "${BASE_NOSELF[@]}" -o /dev/null; }
    time_baseline_self() { measure baseline-selfcheck "$1" "${BASE_SELF[@]}" -o /dev/null; }
    BASELINE=(baseline_noself baseline_self)
fi

LOAD_BEFORE="$(loadavg)"
echo "== $RUNS timed runs (order rotates); load average before: $LOAD_BEFORE"
for ((run = 1; run <= RUNS; run++)); do
    for tool in $(rotate $((run - 1)) pggraft_noself pggraft_self migra "${BASELINE[@]}"); do
        "time_$tool" "$run"
    done
done
LOAD_AFTER="$(loadavg)"
echo "   load average after: $LOAD_AFTER"

# --- Correctness, once ---------------------------------------------------------------------------
echo "== correctness: each tool's script applied to a fresh copy of a (same generator)"
generate a2
generate a3

# check_left DB: pggraft diff --check DB b; sets CHECK_RC and CHECK_MSG.
check_left() {
    CHECK_RC=0
    "$PGGRAFT" diff "$BASE/$1" "$BASE/b" -n app --check >"$OUT/check-$1.txt" 2>"$OUT/check-$1.err" ||
        CHECK_RC=$?
    CHECK_MSG="$(tail -n 1 "$OUT/check-$1.err")"
}

PG_APPLY="clean"
"${PSQL[@]}" -1 -f "$OUT/pggraft.sql" "$BASE/a2" >"$OUT/apply-pggraft.log" 2>&1 ||
    PG_APPLY="FAILED: $(grep -m1 'ERROR' "$OUT/apply-pggraft.log" || tail -n 1 "$OUT/apply-pggraft.log")"
check_left a2
PG_CHECK_RC=$CHECK_RC PG_CHECK_MSG=$CHECK_MSG
rc=0
"$MIGRA" --unsafe --schema app "$MURL/a2" "$MURL/b" >"$OUT/migra-after-pggraft.sql" 2>&1 || rc=$?
case $rc in
0) PEER_VIEW="migra a2 b: no differences (exit 0)" ;;
2) PEER_VIEW="migra a2 b: $(statements "$OUT/migra-after-pggraft.sql") statements still needed (exit 2; see migra-after-pggraft.sql)" ;;
*) PEER_VIEW="migra a2 b: error (exit $rc; see migra-after-pggraft.sql)" ;;
esac

# migra's script: in one transaction, stopping at the first error; if that fails, once more
# statement by statement without stopping, to see how much of it applies and what is left.
MIGRA_APPLY="clean"
if ! "${PSQL[@]}" -1 -f "$OUT/migra.sql" "$BASE/a3" >"$OUT/apply-migra.log" 2>&1; then
    first_error="$(grep -m1 'ERROR' "$OUT/apply-migra.log" || tail -n 1 "$OUT/apply-migra.log")"
    "$BINDIR/psql" --no-psqlrc --quiet -f "$OUT/migra.sql" "$BASE/a3" >"$OUT/apply-migra-each.log" 2>&1 || true
    MIGRA_APPLY="FAILED in one transaction: $first_error; applied statement by statement: $(grep -c 'ERROR' "$OUT/apply-migra-each.log" || true) statements failed"
fi
check_left a3
MIGRA_CHECK_RC=$CHECK_RC MIGRA_CHECK_MSG=$CHECK_MSG

# --- Summary -------------------------------------------------------------------------------------
echo
echo "pggraft diff benchmark: $("$BINDIR/postgres" --version), $(nproc) CPUs, median of $RUNS runs"
echo "server: $SERVER_SETTINGS"
echo "load average (1/5/15 min) before the timed runs: $LOAD_BEFORE; after: $LOAD_AFTER"
echo "schema app: $TABLES tables x 10 columns, PK + 1 index each; $CHANGES changes to b (10 kinds, round-robin)"
echo "pggraft: ${PGGRAFT_BIN:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)}; peer: migra $MIGRA_VERSION"
echo
python3 - "$RESULTS" "$N_PGGRAFT" "$N_MIGRA" <<'EOF'
import collections, statistics, sys
results, n_pggraft, n_migra = sys.argv[1], sys.argv[2], sys.argv[3]
wall = collections.defaultdict(dict)
rss = collections.defaultdict(int)
for line in open(results):
    label, run, w, r, *_ = line.split()
    wall[label][int(run)] = float(w)
    rss[label] = max(rss[label], int(r))
med = {label: statistics.median(runs.values()) for label, runs in wall.items()}
# Each round runs every contender back to back, so the ratio within a round is less exposed to a
# change of machine load between rounds than the ratio of the medians.
def round_ratio(label, base):
    return statistics.median(wall[label][k] / wall[base][k] for k in wall[label])
rows = [
    ("pggraft", "pggraft diff --no-self-check", n_pggraft),
    ("pggraft-selfcheck", "pggraft diff (with self-check)", n_pggraft),
    ("migra", "migra --unsafe --schema app", n_migra),
]
if "baseline" in wall:
    rows += [
        ("baseline", "baseline diff --no-self-check", n_pggraft),
        ("baseline-selfcheck", "baseline diff (with self-check)", n_pggraft),
    ]
print(f"{'contender':<32} {'median s':>9} {'ratio':>7} {'per-round':>10} {'peak RSS MiB':>13} "
      f"{'statements':>11}  runs (s)")
for label, desc, n in rows:
    runs = " ".join(f"{wall[label][k]:.2f}" for k in sorted(wall[label]))
    print(f"{desc:<32} {med[label]:>9.2f} {med[label] / med['pggraft']:>6.2f}x "
          f"{round_ratio(label, 'pggraft'):>9.2f}x {rss[label] / 1024:>13.1f} {n:>11}  {runs}")
print("\nratio = median / the median of pggraft --no-self-check (above 1: slower than it);")
print("per-round = the median over runs of the same ratio within each run.")
print(f"migra / pggraft with self-check: {med['migra'] / med['pggraft-selfcheck']:.2f}x "
      f"(per-round {round_ratio('migra', 'pggraft-selfcheck'):.2f}x)")
# The self-check's own cost: the same diff with and without it, within each round.
def self_check_cost(with_check, without):
    rounds = [wall[with_check][k] - wall[without][k] for k in wall[with_check]]
    return med[with_check] - med[without], statistics.median(rounds)
pairs = [("pggraft", "pggraft-selfcheck", "pggraft")]
if "baseline" in wall:
    pairs.append(("baseline", "baseline-selfcheck", "baseline"))
for name, with_check, without in pairs:
    diff, per_round = self_check_cost(with_check, without)
    print(f"self-check time, {name}: {diff:.2f} s (median with - median without; "
          f"per-round {per_round:.2f} s)")
EOF
echo
echo "correctness (once; a2 and a3 made by the same generator as a):"
echo "  pggraft's script on a2: $PG_APPLY; pggraft diff a2 b --check: exit $PG_CHECK_RC ($PG_CHECK_MSG)"
echo "    $PEER_VIEW"
echo "  migra's script on a3:   $MIGRA_APPLY; pggraft diff a3 b --check: exit $MIGRA_CHECK_RC ($MIGRA_CHECK_MSG)"
echo "raw data, scripts and logs: $OUT"
[ "$PG_APPLY" = clean ] && [ "$PG_CHECK_RC" -eq 0 ] ||
    die "pggraft's script did not bring a2 to b (see $OUT)"
