#!/usr/bin/env bash
# Speed and memory of rfm-studio's native twin side by side with the Python reference pipeline
# (../shared/peer/peer.py) on the same inputs, in one run. Prints a table; asserts nothing
# (timings are reported, never tested). Run through `./run bench`.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=../shared
WORK=${RFM_BENCH_DIR:-/tmp/rfm-bench}
mkdir -p "$WORK"
command -v /usr/bin/time >/dev/null || { apt-get update -q && apt-get install -y -q time; }
python3 -c "import pandas, sklearn, scipy, statsmodels" 2>/dev/null ||
    pip install -q numpy pandas scikit-learn scipy statsmodels patsy joblib threadpoolctl

cargo build --release --bin rfm-studio
BIN=${CARGO_TARGET_DIR:-target}/release/rfm-studio
GENERATED=$WORK/generated_1067371.csv
[ -f "$GENERATED" ] || "$BIN" generate --rows 1067371 --seed 7 --out "$GENERATED"
REAL=$SHARED/data/online_retail_II_2009_2010.csv.gz

# One measured command, run RUNS times (default 1): the fastest wall seconds and its peak RSS
# (MiB) from GNU time. Short commands take the best of three, so one disturbed run does not
# decide the comparison.
measure() { # label, command...
    local label=$1 best="" best_kib=0 seconds kib run
    shift
    for ((run = 0; run < ${RUNS:-1}; run++)); do
        /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>&1 || { cat "$WORK/out.txt"; exit 1; }
        read -r seconds kib <"$WORK/time.txt"
        if [ -z "$best" ] || awk "BEGIN { exit !($seconds < $best) }"; then
            best=$seconds best_kib=$kib
        fi
    done
    printf '%-58s %8.2f s %8.0f MiB\n' "$label" "$best" "$((best_kib / 1024))"
}

cat >"$WORK/pandas_rfm.py" <<'PY'
# The reference's read + RFM: read_csv + to_datetime + groupby (the seed's cleaning rules).
import sys, pandas as pd
df = pd.read_csv(sys.argv[1], dtype={"Invoice": str, "StockCode": str, "Customer ID": str})
df = df.dropna(subset=["Customer ID"])
df = df[~df["Invoice"].str.startswith("C") & (df["Quantity"] > 0) & (df["Price"] > 0)].drop_duplicates()
df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
df["Amount"] = df["Quantity"] * df["Price"]
snapshot = df["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
rfm = df.groupby("Customer ID").agg(last=("InvoiceDate", "max"), frequency=("Invoice", "nunique"), monetary=("Amount", "sum"))
rfm["recency"] = (snapshot - rfm["last"].dt.normalize()).dt.days
print(len(rfm))
PY

printf '\n%-58s %10s %12s\n' "read + clean + RFM" "wall" "peak RSS"
for input in "$REAL" "$GENERATED"; do
    name=$(basename "$input")
    printf '%s: %s MB on disk\n' "$name" "$(($(stat -c %s "$input") / 1000000))"
    RUNS=3 measure "  rfm-studio rfm (best of 3)" "$BIN" rfm "$input" --out "$WORK/rfm.csv"
    RUNS=3 measure "  pandas (read_csv + to_datetime + groupby, best of 3)" \
        python3 "$WORK/pandas_rfm.py" "$input"
done

# The modelling stage (both embeddings, six variants, stability, robustness, statistics, t-SNE)
# on the generated file's 5,942 customers, end to end from the transactions. The reference runs
# single-threaded with PyTorch when it is installed (pip install torch), else scikit-learn's MLP.
BACKEND=sklearn
python3 -c "import torch" 2>/dev/null && BACKEND=torch
printf '\n%-58s %10s %12s\n' "whole pipeline, $(basename "$GENERATED") (k=3, seed 42)" "wall" "peak RSS"
measure "  rfm-studio segment (+ k sweep 2-10, which the peer lacks)" \
    "$BIN" segment "$GENERATED" --k 3 --seed 42 --scaling seed \
    --report "$WORK/report.json" --labels "$WORK/labels.csv"
measure "  peer.py --backend $BACKEND --threads 1" \
    python3 "$SHARED/peer/peer.py" --input "$GENERATED" --k 3 --seed 42 \
    --scaling standard --backend "$BACKEND" --threads 1 --out "$WORK/peer.json"
python3 - "$WORK/report.json" "$WORK/peer.json" <<'PY'
import json, sys
ours, peer = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
stages = {t["stage"]: t["seconds"] for t in ours["timings"]}
print("\nrfm-studio stage times:", ", ".join(f"{k} {v:.2f} s" for k, v in stages.items()))
modelling = sum(v for k, v in stages.items() if k not in ("read", "rfm"))
peer_t = peer["timings_s"]
reading = ("import_libs", "csv_parse", "datetime_parse", "rfm")
peer_modelling = sum(v for k, v in peer_t.items() if k not in reading)
print("peer stage times:", ", ".join(f"{k} {v:.2f} s" for k, v in peer_t.items()))
# A sum of stage times: the t-SNE map, computed on a core of its own, is counted in full.
print(f"modelling stages summed: rfm-studio {modelling:.1f} s ({modelling - stages['k_sweep']:.1f} s without "
      f"the k sweep), peer {peer_modelling:.1f} s: {peer_modelling / modelling:.1f}x "
      f"({peer_modelling / (modelling - stages['k_sweep']):.1f}x like for like)")
PY

# The same file through the page's Web Worker (wasm on CPU) in headless Chromium, when a build
# is in dist/ (./run test or ./run dist leaves one).
if [ -f dist/index.html ]; then
    printf '\nin the browser (the build in dist/, Web Worker on CPU, headless Chromium):\n'
    node tests/e2e/measure-large.mjs "$GENERATED"
fi

# Cost growth: the whole pipeline on generated RFM tables (heavy-tailed like retail) of 6k, 60k,
# 600k and 1M customers: natively, in the page's worker (the build in dist/), and the reference
# where it finishes within 10 minutes (one attempt per size; once it times out, larger sizes are
# skipped). Per-stage seconds come from each side's own report.
SIZES=${RFM_BENCH_SIZES:-6000 60000 600000 1000000}
printf '\ncost growth, RFM tables (k=3, seed 42, sample budget 5,000 for the O(n^2) stages)\n'
stage_line() { # report.json -> "stage s, ..."
    python3 - "$1" <<'PY'
import json, sys
timings = json.load(open(sys.argv[1]))["timings"]
print(", ".join("%s %.1f s" % (t["stage"], t["seconds"]) for t in timings))
PY
}
peer_finishes=1
for n in $SIZES; do
    table=$WORK/rfm_$n.csv
    [ -f "$table" ] || "$BIN" generate --customers "$n" --rfm --seed 7 --out "$table"
    printf '%s customers (%s MB):\n' "$n" "$(($(stat -c %s "$table") / 1000000))"
    measure "  rfm-studio segment (native)" "$BIN" segment "$table" --k 3 --seed 42 \
        --report "$WORK/report_$n.json"
    printf '    stages: %s\n' "$(stage_line "$WORK/report_$n.json")"
    if [ -f dist/index.html ]; then
        printf '  browser worker: '
        node tests/e2e/measure-large.mjs "$table" | sed -n '1,2p' | sed '2s/^/    /'
    fi
    if [ "$peer_finishes" = 1 ]; then
        sed '1s/.*/Customer ID,Recency,Frequency,Monetary/' "$table" >"$WORK/peer_rfm.csv"
        if /usr/bin/time -f "%e %M" -o "$WORK/time.txt" timeout 600 python3 "$SHARED/peer/peer.py" \
            --rfm "$WORK/peer_rfm.csv" --k 3 --seed 42 --scaling standard --backend "$BACKEND" \
            --threads 1 --out "$WORK/peer_$n.json" >"$WORK/out.txt" 2>&1; then
            read -r seconds kib <"$WORK/time.txt"
            printf '%-58s %8.2f s %8.0f MiB\n' "  peer.py --rfm" "$seconds" "$((kib / 1024))"
        else
            printf '  peer.py --rfm: did not finish within 10 minutes; larger sizes skipped\n'
            peer_finishes=0
        fi
    fi
done

# The issue's transaction-file targets in the page (drop to dashboard): 200,000 customers (about
# 4M lines) and 1,000,000 customers (about 20M lines), natively beside them. The 1M-customer
# RFM table is in the cost growth above.
if [ -f dist/index.html ]; then
    printf '\ntransaction files (heavy-tailed, generated): natively and in the browser\n'
    for n in ${RFM_BENCH_TX_SIZES:-200000 1000000}; do
        transactions=$WORK/transactions_$n.csv
        [ -f "$transactions" ] || "$BIN" generate --customers "$n" --seed 7 --out "$transactions"
        printf '%s customers, %s lines (%s MB):\n' "$n" "$(($(wc -l <"$transactions") - 1))" \
            "$(($(stat -c %s "$transactions") / 1000000))"
        measure "  rfm-studio segment (native)" "$BIN" segment "$transactions" --k 3 --seed 42 \
            --report "$WORK/report_transactions_$n.json"
        printf '    stages: %s\n' "$(stage_line "$WORK/report_transactions_$n.json")"
        printf '  browser worker: '
        node tests/e2e/measure-large.mjs "$transactions" | sed -n '1,2p' | sed '2s/^/    /'
    done
fi

# A 6 GB export (past wasm32's 4 GB address space) dropped on the page: the worker reads it in
# slices, so the tab's memory follows customers, not bytes. Generated here, never committed;
# RFM_BENCH_HUGE=0 skips it.
if [ "${RFM_BENCH_HUGE:-1}" = 1 ] && [ -f dist/index.html ]; then
    HUGE=$WORK/generated_72000000.csv
    [ -f "$HUGE" ] || "$BIN" generate --rows 72000000 --seed 7 --out "$HUGE"
    printf '\n6 GB export in the browser (%s MB):\n  ' "$(($(stat -c %s "$HUGE") / 1000000))"
    node tests/e2e/measure-large.mjs "$HUGE" | sed -n '1,2p'
fi
