#!/usr/bin/env bash
# Clone real application schemas and check each copy the way the app tests do.
#
#   scripts/app-sweep.sh DIR [NAME...]
#
# DIR holds one .sql file per application (a Rails db/structure.sql, say). For each, on a
# running server (PGHOST/PGPORT/PGUSER, a superuser): the file is loaded into a fresh database
# (errors are kept, not fatal: what PostgreSQL cannot load is skipped), every table gets a few
# rows where plain values fit, and then
#   clone   into another database; pg_dump --schema-only of both must be equal;
#   rename  every schema S to S_copy in the same database; the dumps equal with names mapped;
#   verify  (clone runs it; run again on its own for both copies);
#   inspect the script applied to an empty database dumps as the source does;
#   diff    the source against itself, and against its clone, is empty.
# Results go to $OUT (default /tmp/app-sweep) as <name>/<step>.{log,diff}, one summary line a
# step on stdout. PGGRAFT (default: target/release/pggraft) picks the binary.
set -uo pipefail

dir=${1:?usage: app-sweep.sh DIR [NAME...]}
shift
PGGRAFT=${PGGRAFT:-target/release/pggraft}
OUT=${OUT:-/tmp/app-sweep}
: "${PGHOST:=127.0.0.1}" "${PGPORT:=5432}" "${PGUSER:=postgres}"
export PGHOST PGPORT PGUSER
url() { echo "postgresql://$PGUSER@$PGHOST:$PGPORT/$1"; }
here=$(cd "$(dirname "$0")" && pwd)

# Rows for every table the plain way: one INSERT … SELECT over generate_series per table, a
# value per column from its type; tables whose inserts fail (foreign keys, checks) are tried
# again after the others, and left empty if they still fail.
fill() {
    psql -X -q -d "$1" -v ON_ERROR_STOP=0 -f "$here/app-sweep-fill.sql" 2>&1
}

# The dump without what differs by construction: comments naming the dump, and the \restrict
# keys of newer pg_dump.
dump() {
    pg_dump -s "$@" 2>/dev/null | grep -vE '^(\\restrict|\\unrestrict|-- Dumped)'
}

# "ok" when the two dumps are equal, "DIFF n lines" otherwise, "no-dump" when pg_dump could not
# dump these servers (it must be as new as they are).
compare() { # src dst diff-file
    if [ ! -s "$1" ] || [ ! -s "$2" ]; then echo "no-dump"; return; fi
    if diff -u "$1" "$2" >"$3"; then echo ok; else echo "DIFF $(grep -c '^[-+][^-+]' "$3") lines"; fi
}

# Schema names mapped back: S_copy → S, as a whole word (quoted or not).
unmap() {
    local sed_args=()
    for s in "$@"; do
        sed_args+=(-e "s/\\b${s}_copy\\b/${s}/g")
    done
    sed "${sed_args[@]}"
}

# The block granting USAGE on public to PUBLIC, which pg_dump prints for public_copy only.
public_acl() {
    python3 -c '
import sys
s = sys.stdin.read()
s = s.replace("--\n-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: pg_database_owner\n--\n\nGRANT USAGE ON SCHEMA public TO PUBLIC;\n\n\n", "")
sys.stdout.write(s)'
}

step() { # name status detail
    printf '%-24s %-8s %-6s %s\n' "$app" "$1" "$2" "${3:-}"
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$dir"/*.sql; do names+=("$(basename "$f" .sql)"); done
fi

for app in "${names[@]}"; do
    f="$dir/$app.sql"
    o="$OUT/$app"
    rm -rf "$o" && mkdir -p "$o"
    db=$(echo "sw_$app" | tr -c 'a-z0-9_\n' '_')
    for d in "$db" "${db}_dst" "${db}_rt"; do dropdb --if-exists -f "$d" 2>/dev/null; createdb "$d"; done
    psql -X -q -d "$db" -v ON_ERROR_STOP=0 -f "$f" >"$o/load.log" 2>&1
    step load "$(grep -c ERROR "$o/load.log") err" "$(grep -m3 -o 'ERROR: .*' "$o/load.log" | cut -c1-80 | paste -sd'|')"
    fill "$db" >"$o/fill.log"
    rows=$(psql -X -Atq -d "$db" -c "SELECT coalesce(sum(n_live_tup),0) FROM pg_stat_user_tables" 2>/dev/null)
    step fill ok "$rows rows; $(grep -c 'left empty' "$o/fill.log") tables left empty"
    schemas=$(psql -X -Atq -d "$db" -c "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' AND NOT EXISTS (SELECT 1 FROM pg_depend WHERE classid='pg_namespace'::regclass AND objid=pg_namespace.oid AND deptype='e') ORDER BY 1")

    # Into another database.
    if "$PGGRAFT" clone --source "$(url "$db")" --target "$(url "${db}_dst")" >"$o/clone.log" 2>&1; then
        dump -d "$db" >"$o/src.sql"
        dump -d "${db}_dst" -N pggraft >"$o/dst.sql"
        step clone $(compare "$o/src.sql" "$o/dst.sql" "$o/clone.diff")
    else
        step clone FAIL "$(tail -n 3 "$o/clone.log" | tr '\n' ' ' | cut -c1-160)"
    fi

    # Renamed, in the same database: every schema S as S_copy.
    args=() ns=() nc=()
    for s in $schemas; do args+=(-n "$s=${s}_copy"); ns+=(-n "$s"); nc+=(-n "${s}_copy"); done
    if "$PGGRAFT" clone --source "$(url "$db")" --target "$(url "$db")" "${args[@]}" >"$o/rename.log" 2>&1; then
        dump -d "$db" "${ns[@]}" >"$o/rsrc.sql"
        # shellcheck disable=SC2086
        # pg_dump leaves out the privileges initdb gives `public`, not the same on public_copy
        dump -d "$db" "${nc[@]}" | unmap $schemas | public_acl >"$o/rcopy.sql"
        step rename $(compare "$o/rsrc.sql" "$o/rcopy.sql" "$o/rename.diff")
        if "$PGGRAFT" verify --source "$(url "$db")" --target "$(url "$db")" "${args[@]}" >"$o/verify-rename.log" 2>&1; then step verify-r ok; else step verify-r FAIL "$(grep -m2 -iE 'differ|error' "$o/verify-rename.log" | tr '\n' ' ' | cut -c1-160)"; fi
        # The copy's structure is the source's: diff and sync-schema find nothing to do.
        "$PGGRAFT" diff "$(url "$db")" "$(url "$db")" --no-self-check "${args[@]}" -o "$o/diff-rename.sql" >"$o/diff-rename.log" 2>&1
        n=$(grep -cvE '^\s*(--.*)?$|^SET ' "$o/diff-rename.sql" 2>/dev/null; true)
        if [ "$n" = 0 ]; then step diff-r ok; else step diff-r DIFF "$n statements $(tail -n1 "$o/diff-rename.log" | cut -c1-100)"; fi
        "$PGGRAFT" sync-schema --source "$(url "$db")" --target "$(url "$db")" "${args[@]}" >"$o/sync.sql" 2>"$o/sync.log"
        n=$(grep -cvE '^\s*(--.*)?$|^SET ' "$o/sync.sql" 2>/dev/null; true)
        if [ "$n" = 0 ]; then step sync ok; else step sync DIFF "$n statements $(tail -n1 "$o/sync.log" | cut -c1-100)"; fi
    else
        step rename FAIL "$(tail -n 3 "$o/rename.log" | tr '\n' ' ' | cut -c1-160)"
    fi
    if "$PGGRAFT" verify --source "$(url "$db")" --target "$(url "${db}_dst")" $(for s in $schemas; do echo "-n $s"; done) >"$o/verify.log" 2>&1; then step verify ok; else step verify FAIL "$(grep -m2 -iE 'differ|error' "$o/verify.log" | tr '\n' ' ' | cut -c1-160)"; fi

    # inspect, applied to an empty database.
    if "$PGGRAFT" inspect "$(url "$db")" $(for s in $schemas; do echo "-n $s"; done) -o "$o/inspect.sql" 2>"$o/inspect.log"; then
        psql -X -q -d "${db}_rt" -v ON_ERROR_STOP=0 -f "$o/inspect.sql" >"$o/inspect-apply.log" 2>&1
        dump -d "$db" "${ns[@]}" >"$o/isrc.sql"
        dump -d "${db}_rt" "${ns[@]}" >"$o/irt.sql"
        errs=$(grep -c ERROR "$o/inspect-apply.log")
        step inspect "$(compare "$o/isrc.sql" "$o/irt.sql" "$o/inspect.diff")" "$errs errors applying it"
    else
        step inspect FAIL "$(tail -n 2 "$o/inspect.log" | tr '\n' ' ')"
    fi

    # diff: itself, and its clone.
    for pair in "self:$db" "clone:${db}_dst"; do
        what=${pair%%:*} other=${pair#*:}
        "$PGGRAFT" diff "$(url "$db")" "$(url "$other")" --no-self-check $(for s in $schemas; do echo "-n $s"; done) -o "$o/diff-$what.sql" >"$o/diff-$what.log" 2>&1
        n=$(grep -cvE '^\s*(--.*)?$|^SET ' "$o/diff-$what.sql" 2>/dev/null; true)
        if [ "$n" = 0 ]; then step "diff-$what" ok; else step "diff-$what" DIFF "$n statements $(tail -n1 "$o/diff-$what.log" | cut -c1-100)"; fi
    done
done
