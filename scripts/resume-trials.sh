#!/usr/bin/env bash
# Resume trials: kill `pggraft clone` at random points and resume it with --resume; interrupt
# it with SIGINT and go on with --resume or rerun it plainly. Every trial must end with a copy
# that `pggraft verify --level rows` finds identical and nothing left behind.
#
#   scripts/resume-trials.sh                          # 20 kill -9 trials + 5 SIGINT, pgbench scale 20
#   scripts/resume-trials.sh --kills 4 --sigints 1 --scale 2 --seed 7
#
# Two throwaway clusters on 127.0.0.1 (temp dirs, free ports, run as the `postgres` OS user when
# the script runs as root; stopped and deleted on exit however the script ends): A holds `src`
# (`pgbench -i -s SCALE` plus pggraft's sample schema, whose extensions citext and btree_gist
# live in `public`), B the targets. Each trial clones every schema into a fresh database on B
# (`--roles`; `public` receives the extensions, so it is built under its final name, the
# target's empty `public` moved aside meanwhile), with --jobs 2, and after a random delay (0 to
# 0.9 times the fastest of three clean clones):
#
#   kill -9   to the pggraft process; then, on every other trial when a run is stored to resume,
#             20 pgbench transactions change the source; then the same clone with --resume. When there is nothing to resume
#             (killed before its structure committed, or after its swap) it says so (exit 2) and
#             the plain clone runs instead, when the copy is not complete.
#   SIGINT    to the pggraft process, which stops keeping what it copied in its build schemas
#             (the final names untouched but `public`: the target must hold no other copied
#             schema); then, on
#             odd SIGINT trials, the same clone with --resume (the plain clone when there is
#             nothing to resume), on even ones a plain rerun, which removes what was kept and
#             starts fresh.
#
# A trial passes when the target holds the copy and `pggraft verify --level rows` finds it
# identical to the source as it is then (exit 0), no pggraft_tmp_* or pggraft_aside_* schema and no
# record of a run (pggraft.clone_runs). Prints one line per trial and the summary
# `resume trials: N passed, M failed (…)`; exits 0 when every trial passed, 1 otherwise.
# PGGRAFT_BIN=/path/to/pggraft tries that binary instead of building target/debug/pggraft
# (--release builds target/release/pggraft). Logs go to bench-results/resume-trials-*/.
set -euo pipefail

KILLS=20
SIGINTS=5
SCALE=20
SEED=$$
TRIAL_TIMEOUT=600
PROFILE=debug
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --kills) KILLS="${2:?--kills needs a number}"; shift 2 ;;
    --sigints) SIGINTS="${2:?--sigints needs a number}"; shift 2 ;;
    --scale) SCALE="${2:?--scale needs a number}"; shift 2 ;;
    --seed) SEED="${2:?--seed needs a number}"; shift 2 ;;
    --trial-timeout) TRIAL_TIMEOUT="${2:?--trial-timeout needs seconds}"; shift 2 ;;
    --release) PROFILE=release; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in KILLS SIGINTS SCALE SEED TRIAL_TIMEOUT; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "error: --${v,,} must be a number" >&2; exit 2; }
done
RANDOM=$SEED

cd "$(dirname "$0")/.."
ROOT="$PWD"
BENCH_NAME=resume-trials
# shellcheck source=scripts/lib-trials.sh
source "$ROOT/scripts/lib-trials.sh"

PORT_A="$(start_server A)"
PORT_B="$(start_server B)"
A="postgresql://postgres@127.0.0.1:$PORT_A"
B="postgresql://postgres@127.0.0.1:$PORT_B"
echo "== clusters: A (source) on port $PORT_A, B (targets) on port $PORT_B ($("$BINDIR/postgres" --version))"

# q URL SQL: one value (tuples only, unaligned).
q() { PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -At "$1" -c "$2"; }

echo "== loading src: pgbench -i -s $SCALE, then the sample schema"
q "$A/postgres" "CREATE DATABASE src TEMPLATE template0"
"$BINDIR/pgbench" -i -q -s "$SCALE" "$A/src" >"$OUT/pgbench.log" 2>&1 || { cat "$OUT/pgbench.log" >&2; die "pgbench -i failed"; }
SRC="$A/src"
sample="$ROOT/crates/pggraft/data/sample"
"${PSQL[@]}" "$SRC" -f <(cat "$sample/schema.sql" "$sample/data.sql") \
    >"$OUT/load-sample.log" 2>&1 || { cat "$OUT/load-sample.log" >&2; die "loading the sample schema failed"; }

# fresh_target: an empty database dst on B.
fresh_target() {
    q "$B/postgres" "DROP DATABASE IF EXISTS dst WITH (FORCE)"
    q "$B/postgres" "CREATE DATABASE dst TEMPLATE template0"
}
DST="$B/dst"
ARGS=(--source "$SRC" --target "$DST" --roles --jobs 2 --index-jobs 2 --no-verify)

# The fastest of three clean clones: the faults must land while a clone runs.
MS=
for _ in 1 2 3; do
    fresh_target
    started=$(date +%s%N)
    "$PGGRAFT" clone "${ARGS[@]}" >>"$OUT/timing.log" 2>&1 || { cat "$OUT/timing.log" >&2; die "the clean clone failed"; }
    ms=$((($(date +%s%N) - started) / 1000000))
    if [ -z "$MS" ] || [ "$ms" -lt "$MS" ]; then MS=$ms; fi
done
echo "== a clean clone takes $MS ms (the fastest of three); faults land between the start and 0.9 times that"

PASSED=0
FAILED=0
RESUMED=0
NOTHING=0
LANDED=0
INT_RESUMED=0
INT_RERUN=0

# check N: prints "" when the target holds the verified copy and nothing else of a run.
check() {
    local why=() left runs
    left="$(q "$DST" "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp\\_%' OR nspname LIKE 'pggraft\\_aside\\_%'")"
    [ "$left" = 0 ] || why+=("$left temporary schema(s) left")
    runs=0
    if [ "$(q "$DST" "SELECT to_regclass('pggraft.clone_runs') IS NOT NULL")" = t ]; then
        runs="$(q "$DST" "SELECT count(*) FROM pggraft.clone_runs")"
    fi
    [ "$runs" = 0 ] || why+=("$runs run record(s) left in pggraft.clone_runs")
    if ! "$PGGRAFT" verify --source "$SRC" --target "$DST" --level rows >>"$OUT/trial-$1.log" 2>&1; then
        why+=("verify --level rows does not find the copy identical")
    fi
    local IFS=';'
    echo "${why[*]}"
}

# nothing_left: prints "" when the target holds nothing of the copy under its final names
# (what a stopped clone kept is in pggraft_tmp_* schemas, its record in schema pggraft; `public`,
# which receives the extensions, is built in place, the target's own moved to pggraft_aside_*).
nothing_left() {
    local n
    n="$(q "$DST" "SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema', 'pggraft') AND nspname !~ '^pg_' AND nspname NOT LIKE 'pggraft\\_tmp\\_%' AND nspname NOT LIKE 'pggraft\\_aside\\_%'")"
    [ "$n" = "0" ] || echo "the stopped clone touched the final names ($n schemas)"
}

TOTAL=$((KILLS + SIGINTS))
for ((i = 1; i <= TOTAL; i++)); do
    if [ "$i" -le "$KILLS" ]; then fault=kill9; else fault=sigint; fi
    delay_ms=$(((RANDOM * 32768 + RANDOM) % (MS * 9 / 10 + 1)))
    log="$OUT/trial-$i.log"
    fresh_target
    timeout -s KILL "$TRIAL_TIMEOUT" "$PGGRAFT" clone "${ARGS[@]}" >"$log" 2>&1 &
    CLONE_PID=$!
    sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    landed=yes
    kill -0 "$CLONE_PID" 2>/dev/null || landed="no (the clone had finished)"
    if [ "$landed" = yes ]; then
        [ "$fault" = kill9 ] && LANDED=$((LANDED + 1))
        target_pid="$(pgrep -P "$CLONE_PID" -x pggraft || echo "$CLONE_PID")"
        if [ "$fault" = kill9 ]; then kill -KILL "$target_pid" 2>/dev/null || true; else kill -INT "$target_pid" 2>/dev/null || true; fi
    fi
    rc=0
    wait "$CLONE_PID" 2>/dev/null || rc=$?
    CLONE_PID=
    problems=""
    how=""
    if [ "$fault" = kill9 ]; then
        stored=0
        if [ "$(q "$DST" "SELECT to_regclass('pggraft.clone_runs') IS NOT NULL")" = t ]; then
            stored="$(q "$DST" "SELECT count(*) FROM pggraft.clone_runs")"
        fi
        # The source changes only under a run there is to resume (a complete copy would
        # rightly differ from a source changed after it).
        if [ $((i % 2)) -eq 0 ] && [ "$stored" != 0 ]; then
            "$BINDIR/pgbench" -n -t 20 -c 1 "$SRC" >>"$log" 2>&1 || problems="pgbench failed"
            how="source changed, "
        fi
        # The killed run's sessions end once the server notices (up to a few seconds).
        rrc=0
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            rrc=0
            timeout -s KILL "$TRIAL_TIMEOUT" "$PGGRAFT" clone "${ARGS[@]}" --resume >>"$log" 2>&1 || rrc=$?
            grep -q "is still running" <(tail -1 "$log") || break
            sleep 1
        done
        if [ "$rrc" = 0 ]; then
            RESUMED=$((RESUMED + 1))
            how="${how}resumed"
        elif tail -1 "$log" | grep -q "no interrupted clone"; then
            NOTHING=$((NOTHING + 1))
            tables="$(q "$DST" "SELECT count(*) FROM pg_tables WHERE schemaname = 'shop'")"
            if [ "$tables" = 0 ]; then
                how="${how}nothing to resume, plain rerun"
                "$PGGRAFT" clone "${ARGS[@]}" >>"$log" 2>&1 || problems="the plain rerun failed"
            else
                how="${how}nothing to resume: the copy was complete"
            fi
        else
            problems="--resume failed (exit $rrc)"
        fi
    elif [ "$rc" = 0 ]; then
        how="the clone had finished"
    elif [ "$(q "$DST" "SELECT count(*) FROM pg_tables WHERE schemaname = 'shop'")" != 0 ]; then
        how="stopped as its swap committed: the copy was complete"
    else
        problems="$(nothing_left)"
        if [ $(((i - KILLS) % 2)) -eq 1 ]; then
            rrc=0
            timeout -s KILL "$TRIAL_TIMEOUT" "$PGGRAFT" clone "${ARGS[@]}" --resume >>"$log" 2>&1 || rrc=$?
            if [ "$rrc" = 0 ]; then
                INT_RESUMED=$((INT_RESUMED + 1))
                how="stopped, then --resume"
            elif tail -1 "$log" | grep -q "no interrupted clone"; then
                how="stopped before anything was built, then a plain rerun"
                "$PGGRAFT" clone "${ARGS[@]}" >>"$log" 2>&1 || problems="${problems:+$problems; }the plain rerun failed"
            else
                problems="${problems:+$problems; }--resume after SIGINT failed (exit $rrc)"
            fi
        else
            INT_RERUN=$((INT_RERUN + 1))
            how="stopped, then a plain rerun"
            "$PGGRAFT" clone "${ARGS[@]}" >>"$log" 2>&1 || problems="${problems:+$problems; }the plain rerun failed"
        fi
    fi
    more="$(check "$i")"
    problems="${problems:+$problems${more:+; }}$more"
    if [ -z "$problems" ]; then
        PASSED=$((PASSED + 1))
        printf 'trial %2d: %-6s at %6d ms (landed: %s): exit %d, %s: passed\n' "$i" "$fault" "$delay_ms" "$landed" "$rc" "$how"
    else
        FAILED=$((FAILED + 1))
        printf 'trial %2d: %-6s at %6d ms (landed: %s): exit %d, %s: FAILED: %s (log: %s)\n' "$i" "$fault" "$delay_ms" "$landed" "$rc" "$how" "$problems" "$log"
    fi
done

echo "resume trials: $PASSED passed, $FAILED failed ($KILLS kill -9, $LANDED while the clone ran: $RESUMED resumed, $NOTHING with nothing to resume; $SIGINTS SIGINT: $INT_RESUMED resumed, $INT_RERUN rerun plainly; scale $SCALE, seed $SEED)"
[ "$FAILED" -eq 0 ]
