#!/usr/bin/env bash
# Draws the README's pictures with pggraft itself: the built-in sample schema
# (crates/pggraft/data/sample/schema.sql) loaded into a throwaway cluster, then
#   docs/img/sample-schema.png     pggraft inspect --format dot (tables, foreign keys, views)
#   docs/img/sample-migration.png  pggraft diff --format dot (a migration of it, hazards marked)
# rendered with Graphviz (installed with apt-get if missing). PGGRAFT_BIN=path skips the build.
set -euo pipefail
BENCH_NAME=readme-pictures
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

command -v dot >/dev/null || apt_install graphviz
BINDIR="$(find_bindir)"
build_pggraft
start_cluster

SCHEMA="$ROOT/crates/pggraft/data/sample/schema.sql"
fresh_db sample
"${PSQL[@]}" "$BASE/sample" -f "$SCHEMA" >/dev/null
# The same schema after a change with a hazard of each kind the picture marks.
fresh_db sample_v2
"${PSQL[@]}" "$BASE/sample_v2" -f "$SCHEMA" >/dev/null
sql sample_v2 \
    "ALTER TABLE shop.customers ADD COLUMN phone text" \
    "CREATE INDEX customers_phone_idx ON shop.customers (phone)" \
    "ALTER TABLE shop.cache DROP COLUMN v" \
    "ALTER TABLE shop.base_item ALTER COLUMN label TYPE varchar(200)" >/dev/null

OUT="$ROOT/docs/img"
mkdir -p "$OUT"
"$PGGRAFT" inspect "$BASE/sample" -n shop --format dot -o "$WORK/schema.dot"
dot -Tpng -Gdpi=80 "$WORK/schema.dot" -o "$OUT/sample-schema.png"
"$PGGRAFT" diff "$BASE/sample" "$BASE/sample_v2" -n shop --no-self-check --allow-hazards all \
    --format dot -o "$WORK/migration.dot"
dot -Tpng -Gdpi=80 "$WORK/migration.dot" -o "$OUT/sample-migration.png"
ls -l "$OUT"/sample-*.png
