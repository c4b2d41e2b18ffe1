#!/usr/bin/env bash
# The warehouse hand-off on real engines (./run test-warehouse calls this after building
# rfm-studio): the studio's RFM and labels for the seed preset (k = 3, seed 42) on the real
# 2009-2010 sheet and on a shop export with other cancellation conventions, the generated SQL for
# every dialect, then check_engines.py runs the queries on
# DuckDB, Spark (local mode) and Postgres (Debian's server on a loopback port) and compares.
# BigQuery's text is checked by the Rust unit tests only (no BigQuery here).
#
#   tests/warehouse/run.sh [ENGINE...]   engines: duckdb spark postgres (default all three)
#
# Environment: RFM_STUDIO (the binary), WAREHOUSE_VENV (where the pinned engines are installed),
# WAREHOUSE_WORK (keep the generated files there instead of a temporary folder),
# WAREHOUSE_BIG=0 to skip the 1M-customer timing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${RFM_STUDIO:?set RFM_STUDIO to the rfm-studio binary}
VENV=${WAREHOUSE_VENV:-/tmp/rfm-warehouse-venv}
SHEET="$ROOT/tests/data/online_retail_II_2009_2010.csv.gz"
# Cancellations by a status column and returns as negative quantities (the sheet has only UCI's
# "C" invoices), under both cancellation policies.
RETURNS="$ROOT/tests/fixtures/ingest/real_world/shop_status_and_returns.csv"
ENGINES=("$@")
[ ${#ENGINES[@]} -gt 0 ] || ENGINES=(duckdb spark postgres)

if ! cmp -s "$HERE/requirements.txt" "$VENV/.installed-from" 2>/dev/null; then
    echo "==> installing $(grep -v '^#' "$HERE/requirements.txt" | tr '\n' ' ')into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r "$HERE/requirements.txt"
    cp "$HERE/requirements.txt" "$VENV/.installed-from"
fi

WORK=${WAREHOUSE_WORK:-$(mktemp -d)}
mkdir -p "$WORK"
cp "$SHEET" "$WORK/transactions.csv.gz"
echo "==> the studio on the real sheet (work folder $WORK)"
"$BIN" rfm "$SHEET" --out "$WORK/studio_rfm.csv" >/dev/null
for dialect in duckdb spark bigquery postgres; do
    "$BIN" sql rfm "$SHEET" --dialect "$dialect" --table transactions >"$WORK/rfm.$dialect.sql"
done
cp "$RETURNS" "$WORK/returns.csv"
for policy in drop net; do
    "$BIN" rfm "$RETURNS" --cancellations "$policy" --out "$WORK/studio_returns.$policy.csv" >/dev/null
    for dialect in duckdb spark postgres; do
        "$BIN" sql rfm "$RETURNS" --cancellations "$policy" --dialect "$dialect" --table returns \
            >"$WORK/returns.$policy.$dialect.sql"
    done
done
"$BIN" sql score "$SHEET" --k 3 --seed 42 --no-k-sweep \
    --variant KM_PCA,GMM_PCA,AGGLO_PCA,KM_AE,GMM_AE,AGGLO_AE \
    --dialect duckdb,spark,bigquery,postgres --table rfm \
    --out-dir "$WORK/queries" --labels "$WORK/studio_labels.csv" --report "$WORK/report.json"

BIG_ARGS=()
if [ "${WAREHOUSE_BIG:-1}" != 0 ]; then
    [ -f "$WORK/rfm_1m.csv" ] ||
        "$BIN" generate --customers 1000000 --rfm --seed 1 --out "$WORK/rfm_1m.csv" >/dev/null
    BIG_ARGS=(--big "$WORK/rfm_1m.csv")
fi
echo "==> engines: ${ENGINES[*]}"
"$VENV/bin/python" "$HERE/check_engines.py" "$WORK" "${ENGINES[@]}" "${BIG_ARGS[@]}"
