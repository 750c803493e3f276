#!/usr/bin/env bash
# Fault trials: interrupt `pggraft clone` at random points and check that nothing is lost and
# nothing is left behind.
#
#   scripts/fault-trials.sh                      # 20 trials, pgbench scale 10
#   scripts/fault-trials.sh --trials 6 --scale 2 --seed 7
#
# Two throwaway clusters on 127.0.0.1 (temp dirs, free ports, run as the `postgres` OS user when
# the script runs as root; stopped and deleted on exit however the script ends): A holds `src`
# (`pgbench -i -s SCALE`), B the targets. Each trial clones `public` with --jobs 2, alternately
# to a fresh database on B and within `src` itself (public -> public_copy), and after a random
# delay (0 to 1.2 times a clean clone's duration) does one of, in turn:
#
#   kill -9 | SIGTERM | SIGINT    to the pggraft process
#   restart                       the target's cluster (pg_ctl restart -m fast), pggraft left alone
#
# Each clone runs under `timeout` (--trial-timeout, default 300 s). Then `pggraft cleanup`
# runs on the target (tried again for up to 30 s while a killed run's sessions end), and the
# trial passes when:
#   - the target holds no temporary pggraft_tmp_* schema;
#   - the target holds either the complete copy, which `pggraft verify --level checksums` finds
#     identical (exit 0), or nothing of it (no table of the copy, no copied schema);
#   - the source database holds nothing new: the same schemas (for a same-database clone, plus at
#     most the complete copy and its record, schema pggraft), `pg_dump --schema-only` of `public` unchanged, the same row counts.
#
# Prints one line per trial and the summary `fault trials: N passed, M failed (scale S)`; exits 0
# when every trial passed, 1 otherwise. PGGRAFT_BIN=/path/to/pggraft tries that binary instead of
# building target/debug/pggraft (--release builds target/release/pggraft). Logs of every trial go
# to bench-results/fault-trials-*/.
set -euo pipefail

TRIALS=20
SCALE=10
SEED=$$
TRIAL_TIMEOUT=300
PROFILE=debug
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --trials) TRIALS="${2:?--trials needs a number}"; shift 2 ;;
    --scale) SCALE="${2:?--scale needs a number}"; shift 2 ;;
    --seed) SEED="${2:?--seed needs a number}"; shift 2 ;;
    --trial-timeout) TRIAL_TIMEOUT="${2:?--trial-timeout needs seconds}"; shift 2 ;;
    --release) PROFILE=release; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in TRIALS SCALE SEED TRIAL_TIMEOUT; do
    [[ "${!v}" =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || { echo "error: --${v,,} must be a positive integer" >&2; exit 2; }
done
RANDOM=$SEED

cd "$(dirname "$0")/.."
ROOT="$PWD"
BENCH_NAME=fault-trials
# shellcheck source=scripts/lib-trials.sh
source "$ROOT/scripts/lib-trials.sh"

restart_server() {
    (cd "$WORK" && as_server "$BINDIR/pg_ctl" restart -D "$WORK/$1" -m fast -l "$WORK/$1.log" -w -t 60 >/dev/null)
}

PORT_A="$(start_server A)"
PORT_B="$(start_server B)"
A="postgresql://postgres@127.0.0.1:$PORT_A"
B="postgresql://postgres@127.0.0.1:$PORT_B"
echo "== clusters: A (source) on port $PORT_A, B (targets) on port $PORT_B ($("$BINDIR/postgres" --version))"

# q URL SQL: one value (tuples only, unaligned).
q() { PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -At "$1" -c "$2"; }

echo "== loading src: pgbench -i -s $SCALE"
q "$A/postgres" "CREATE DATABASE src TEMPLATE template0"
"$BINDIR/pgbench" -i -q -s "$SCALE" "$A/src" >"$OUT/pgbench.log" 2>&1 || { cat "$OUT/pgbench.log" >&2; die "pgbench -i failed"; }
SRC="$A/src"

# What the source holds, to compare after every trial.
source_schemas() { q "$SRC" "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'"; }
source_rows() { q "$SRC" "SELECT (SELECT count(*) FROM pgbench_accounts) || '/' || (SELECT count(*) FROM pgbench_branches) || '/' || (SELECT count(*) FROM pgbench_tellers) || '/' || (SELECT count(*) FROM pgbench_history)"; }
# (pg_dump 15.14+ brackets its output with \restrict KEY lines, KEY random per run.)
source_dump() { "$BINDIR/pg_dump" --schema-only -n public "$SRC" | grep -Ev '^(--|$|\\(un)?restrict )'; }
SCHEMAS0="$(source_schemas)"
ROWS0="$(source_rows)"
source_dump >"$OUT/source-public.sql"

# --- One clean clone of each kind, to know how long the faults have to land in ----------------
# clean_clone TARGET ARGS...: prints its duration in ms.
clean_clone() {
    local tgt="$1" started
    shift
    started=$(date +%s%N)
    "$PGGRAFT" clone --source "$SRC" --target "$tgt" "$@" --jobs 2 --index-jobs 2 --no-verify \
        >>"$OUT/timing.log" 2>&1 || { cat "$OUT/timing.log" >&2; die "the clean clone failed"; }
    echo $((($(date +%s%N) - started) / 1000000))
}
q "$B/postgres" "CREATE DATABASE dst_timing TEMPLATE template0"
MS_cross="$(clean_clone "$B/dst_timing" -n public)"
q "$B/postgres" "DROP DATABASE dst_timing WITH (FORCE)"
MS_same="$(clean_clone "$SRC" -n public=public_copy)"
q "$SRC" "DROP SCHEMA public_copy CASCADE; DROP SCHEMA IF EXISTS pggraft CASCADE" >/dev/null
echo "== a clean clone takes $MS_cross ms to another cluster, $MS_same ms within src; faults land" \
    "between the start and 1.2 times that"

FAULTS=(kill9 sigterm sigint restart)
PASSED=0
FAILED=0

# check_trial N MODE TARGET_URL COPY_SCHEMA: prints "" when the trial passed, else why not.
check_trial() {
    local mode="$2" tgt="$3" copy="$4" why=() left tables
    # Leftovers go with `pggraft cleanup`; a killed run's sessions may take a moment to end.
    local deadline=$((SECONDS + 30))
    while :; do
        "$PGGRAFT" cleanup --target "$tgt" >>"$OUT/trial-$1.log" 2>&1 || true
        left="$(q "$tgt" "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp\\_%'")"
        [ "$left" = 0 ] || [ $SECONDS -ge $deadline ] && break
        sleep 1
    done
    [ "$left" = 0 ] || why+=("$left temporary schema(s) left after cleanup")
    tables="$(q "$tgt" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$copy' AND c.relkind IN ('r', 'p')")"
    if [ "$tables" != 0 ]; then
        local n_arg="public"
        [ "$mode" = same ] && n_arg="public=$copy"
        if ! "$PGGRAFT" verify --source "$SRC" --target "$tgt" -n "$n_arg" --level checksums \
            >>"$OUT/trial-$1.log" 2>&1; then
            why+=("the target holds $tables table(s) of the copy, and they do not verify as identical")
        fi
    elif [ "$mode" = same ] && [ "$(q "$tgt" "SELECT count(*) FROM pg_namespace WHERE nspname = '$copy'")" != 0 ]; then
        why+=("an empty schema $copy was left")
    fi
    if [ "$tables" = 0 ] && [ "$mode" = cross ] &&
        [ "$(q "$tgt" "SELECT count(*) FROM pg_namespace WHERE nspname = 'pggraft'")" != 0 ]; then
        why+=("the target records a copy it does not hold (schema pggraft)")
    fi
    local schemas
    schemas="$(source_schemas)"
    if [ "$mode" = cross ] && [ "$schemas" != "$SCHEMAS0" ]; then
        why+=("the source's schemas changed: $schemas")
    elif [ "$mode" = same ] && [ "$tables" != 0 ] && [ "$schemas" != "$(echo "$SCHEMAS0,$copy,pggraft" | tr ',' '\n' | sort | paste -sd,)" ]; then
        # The complete copy, and its record in pggraft.copies (the source database is its target).
        why+=("the source database holds other schemas than its own, the copy and its record: $schemas")
    elif [ "$mode" = same ] && [ "$tables" = 0 ] && [ "$schemas" != "$SCHEMAS0" ]; then
        why+=("the source database holds new schemas: $schemas")
    fi
    [ "$(source_rows)" = "$ROWS0" ] || why+=("the source's row counts changed")
    source_dump | cmp -s - "$OUT/source-public.sql" || why+=("the source's public schema changed")
    local IFS=';'
    echo "${why[*]}"
}

for ((i = 1; i <= TRIALS; i++)); do
    fault="${FAULTS[$(((i - 1) % ${#FAULTS[@]}))]}"
    if [ $((i % 2)) -eq 1 ]; then mode=cross; else mode=same; fi
    ms_var="MS_$mode"
    delay_ms=$(((RANDOM * 32768 + RANDOM) % (${!ms_var} * 12 / 10 + 1)))
    log="$OUT/trial-$i.log"
    if [ "$mode" = cross ]; then
        q "$B/postgres" "DROP DATABASE IF EXISTS dst WITH (FORCE)"
        q "$B/postgres" "CREATE DATABASE dst TEMPLATE template0"
        tgt="$B/dst" copy=public cluster=B args=(-n public)
    else
        q "$SRC" "DROP SCHEMA IF EXISTS public_copy CASCADE; DROP SCHEMA IF EXISTS pggraft CASCADE" >/dev/null
        tgt="$SRC" copy=public_copy cluster=A args=(-n public=public_copy)
    fi
    timeout -s KILL "$TRIAL_TIMEOUT" "$PGGRAFT" clone --source "$SRC" --target "$tgt" "${args[@]}" \
        --jobs 2 --index-jobs 2 --no-verify >"$log" 2>&1 &
    CLONE_PID=$!
    sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    landed=yes
    kill -0 "$CLONE_PID" 2>/dev/null || landed="no (the clone had finished)"
    if [ "$landed" = yes ]; then
        # The clone is `timeout`'s child: signal it, not timeout.
        target_pid="$(pgrep -P "$CLONE_PID" -x pggraft || echo "$CLONE_PID")"
        case "$fault" in
        kill9) kill -KILL "$target_pid" 2>/dev/null || true ;;
        sigterm) kill -TERM "$target_pid" 2>/dev/null || true ;;
        sigint) kill -INT "$target_pid" 2>/dev/null || true ;;
        restart) restart_server "$cluster" ;;
        esac
    fi
    rc=0
    wait "$CLONE_PID" 2>/dev/null || rc=$?
    CLONE_PID=
    problems="$(check_trial "$i" "$mode" "$tgt" "$copy")"
    outcome="copy complete"
    [ "$(q "$tgt" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$copy' AND c.relkind = 'r'")" = 0 ] && outcome="nothing copied"
    # The next trial starts from the source as it was.
    [ "$mode" = same ] && q "$SRC" "DROP SCHEMA IF EXISTS public_copy CASCADE; DROP SCHEMA IF EXISTS pggraft CASCADE" >/dev/null
    if [ -z "$problems" ]; then
        PASSED=$((PASSED + 1))
        printf 'trial %2d: %-7s %-5s at %5d ms (landed: %s): exit %d, %s: passed\n' "$i" "$fault" "$mode" "$delay_ms" "$landed" "$rc" "$outcome"
    else
        FAILED=$((FAILED + 1))
        printf 'trial %2d: %-7s %-5s at %5d ms (landed: %s): exit %d: FAILED: %s (log: %s)\n' "$i" "$fault" "$mode" "$delay_ms" "$landed" "$rc" "$problems" "$log"
    fi
done

echo "fault trials: $PASSED passed, $FAILED failed (scale $SCALE, seed $SEED)"
[ "$FAILED" -eq 0 ]
