"""Runs rfm-studio's generated SQL on real engines and compares it with the studio itself.

Called by tests/warehouse/run.sh (./run test-warehouse), which builds rfm-studio, writes the
studio's own RFM table and labels and the generated queries into WORK, then runs:

    python check_engines.py WORK ENGINE... [--big BIG_RFM_CSV]

WORK holds: studio_rfm.csv (`rfm-studio rfm`), studio_labels.csv (`rfm-studio segment --labels`),
rfm.<dialect>.sql (`rfm-studio sql rfm`), queries/<VARIANT>.<dialect>.sql and
queries/<VARIANT>.pyspark.py (`rfm-studio sql score --out-dir`), and the transactions file.
ENGINE is duckdb, spark or postgres (Debian's server, started here). Each engine loads the real 2009-2010 sheet as typed columns,
runs the RFM query (must equal the studio's for every customer), the same for returns.csv (a
shop export whose cancellations are a status column and negative quantities) under both
cancellation policies (returns.<policy>.<dialect>.sql against studio_returns.<policy>.csv), then each variant's scoring
query on that RFM table (labels compared with the studio's within the issue's bounds), and
times both, plus the scoring query on BIG_RFM_CSV (a 1M-customer table from
`rfm-studio generate --customers 1000000 --rfm`). Exits non-zero on any failed check; prints
one summary line per check (README quotes them).
"""

import csv
import json
import os
import subprocess
import sys
import time

VARIANTS = ["KM_PCA", "GMM_PCA", "AGGLO_PCA", "KM_AE", "GMM_AE", "AGGLO_AE"]
# Share of the customers whose label may differ from the studio's (issue 14, item 4): none on
# PCA for KMeans and the mixture; float near-ties for the autoencoder variants (encoder layers
# summed in another order); Ward's rule for a new customer moves some of the tree's own.
ALLOWED_MOVES = {
    "KM_PCA": 0.0,
    "GMM_PCA": 0.0,
    "KM_AE": 0.001,
    "GMM_AE": 0.001,
    "AGGLO_PCA": 0.01,
    "AGGLO_AE": 0.01,
}
failures = []


def check(ok, message):
    print(("ok   " if ok else "FAIL ") + message, flush=True)
    if not ok:
        failures.append(message)


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def compare_rfm(engine, rows, studio):
    """rows: (customer_id, recency, frequency, monetary, r, f, m, segment) from the engine."""
    check(len(rows) == len(studio), f"{engine} rfm: {len(rows)} customers, studio {len(studio)}")
    differing = []
    for got, want in zip(rows, studio):
        same = (
            str(got[0]) == want["customer_id"]
            and int(got[1]) == int(want["recency"])
            and int(got[2]) == int(want["frequency"])
            and abs(float(got[3]) - float(want["monetary"])) <= 0.005 + 1e-9 * abs(float(got[3]))
            and [int(got[4]), int(got[5]), int(got[6])]
            == [int(want["r_score"]), int(want["f_score"]), int(want["m_score"])]
            and got[7] == want["segment"]
        )
        if not same:
            differing.append((got, want))
    check(
        not differing,
        f"{engine} rfm: {len(studio) - len(differing)} of {len(studio)} customers identical "
        f"(id, recency, frequency, monetary to the cent, scores, segment)"
        + (f"; first difference {differing[0]}" if differing else ""),
    )


def compare_labels(engine, variant, rows, studio_labels):
    """rows: (customer_id, cluster, persona)."""
    assigned = {str(r[0]): int(r[1]) for r in rows}
    moved = sum(1 for cid, label in studio_labels[variant].items() if assigned.get(cid) != label)
    total = len(studio_labels[variant])
    allowed = ALLOWED_MOVES[variant]
    check(
        len(assigned) == total and moved <= allowed * total,
        f"{engine} {variant}: {moved} of {total} customers ({100 * moved / total:.3f}%) "
        f"labelled differently from the studio (allowed {100 * allowed:g}%)",
    )
    return moved


def compare_conventions(engine, load, run_sql, work):
    """The shop export whose cancellations are a status column and negative quantities, under
    both cancellation policies: the engine's RFM must equal the studio's."""
    load(os.path.join(work, "returns.csv"))
    for policy in ["drop", "net"]:
        rows = run_sql(query(work, f"returns.{policy}.{engine}.sql"))
        studio = read_csv(os.path.join(work, f"studio_returns.{policy}.csv"))
        compare_rfm(f"{engine} status/returns ({policy})", rows, studio)


def studio_labels_by_variant(work):
    labels = {v: {} for v in VARIANTS}
    for row in read_csv(os.path.join(work, "studio_labels.csv")):
        for v in VARIANTS:
            labels[v][row["customer_id"]] = int(row[v])
    return labels


def query(work, name):
    with open(os.path.join(work, name)) as handle:
        return handle.read().strip().rstrip(";")


class Timer:
    def __init__(self):
        self.lines = []

    def time(self, label, thunk):
        started = time.perf_counter()
        result = thunk()
        seconds = time.perf_counter() - started
        self.lines.append(f"time {label}: {seconds:.2f} s")
        print(f"time {label}: {seconds:.2f} s", flush=True)
        return result


def run_duckdb(work, transactions, big, timer):
    import duckdb

    con = duckdb.connect()
    timer.time(
        "duckdb load sheet",
        lambda: con.execute(
            f"CREATE TABLE transactions AS SELECT * FROM read_csv('{transactions}', header = true)"
        ),
    )
    rfm_sql = query(work, "rfm.duckdb.sql")
    rows = timer.time("duckdb rfm query (sheet)", lambda: con.execute(rfm_sql).fetchall())
    compare_rfm("duckdb", rows, read_csv(os.path.join(work, "studio_rfm.csv")))
    compare_conventions(
        "duckdb",
        lambda path: con.execute(f"CREATE TABLE returns AS SELECT * FROM read_csv('{path}', header = true)"),
        lambda sql: con.execute(sql).fetchall(),
        work,
    )
    con.execute(f"CREATE TABLE rfm AS SELECT customer_id, recency, frequency, monetary FROM ({rfm_sql})")
    labels = studio_labels_by_variant(work)
    for variant in VARIANTS:
        sql = query(work, f"queries/{variant}.duckdb.sql")
        rows = timer.time(f"duckdb {variant} scoring (sheet)", lambda: con.execute(sql).fetchall())
        compare_labels("duckdb", variant, rows, labels)
    if big:
        con.execute("DROP TABLE rfm")
        timer.time(
            "duckdb load 1M-customer rfm",
            lambda: con.execute(f"CREATE TABLE rfm AS SELECT * FROM read_csv('{big}', header = true)"),
        )
        for variant in ["KM_PCA", "GMM_AE"]:
            sql = query(work, f"queries/{variant}.duckdb.sql")
            count = timer.time(
                f"duckdb {variant} scoring (1M customers)",
                lambda: con.execute(f"SELECT COUNT(*), COUNT(DISTINCT cluster) FROM ({sql})").fetchone(),
            )
            check(count[0] == 1_000_000, f"duckdb {variant} on the 1M table: {count[0]} rows, {count[1]} clusters")


def load_cached(frame, view):
    frame = frame.cache()
    frame.count()
    frame.createOrReplaceTempView(view)


def run_spark(work, transactions, big, timer):
    from pyspark.sql import SparkSession

    spark = timer.time(
        "spark session start",
        lambda: SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate(),
    )
    spark.sparkContext.setLogLevel("ERROR")
    # Spark reads .csv.gz directly; dates and ids typed by inference (timestamp, double).
    timer.time(
        "spark load sheet",
        lambda: load_cached(spark.read.csv(transactions, header=True, inferSchema=True), "transactions"),
    )
    rfm_sql = query(work, "rfm.spark.sql")
    rows = timer.time("spark rfm query (sheet)", lambda: [tuple(r) for r in spark.sql(rfm_sql).collect()])
    compare_rfm("spark", rows, read_csv(os.path.join(work, "studio_rfm.csv")))
    compare_conventions(
        "spark",
        lambda path: load_cached(spark.read.csv(path, header=True, inferSchema=True), "returns"),
        lambda sql: [tuple(r) for r in spark.sql(sql).collect()],
        work,
    )
    rfm = spark.sql(rfm_sql).select("customer_id", "recency", "frequency", "monetary").cache()
    rfm.count()  # materialised, so the scoring times below are the scoring's alone
    rfm.createOrReplaceTempView("rfm")
    labels = studio_labels_by_variant(work)
    for variant in VARIANTS:
        sql = query(work, f"queries/{variant}.spark.sql")
        rows = timer.time(f"spark {variant} scoring (sheet)", lambda: [tuple(r) for r in spark.sql(sql).collect()])
        compare_labels("spark", variant, rows, labels)
    if big:
        timer.time(
            "spark load 1M-customer rfm",
            lambda: load_cached(spark.read.csv(big, header=True, inferSchema=True), "rfm"),
        )
        for variant in ["KM_PCA", "GMM_AE"]:
            sql = query(work, f"queries/{variant}.spark.sql")
            count = timer.time(
                f"spark {variant} scoring (1M customers)",
                lambda: spark.sql(f"SELECT COUNT(*), COUNT(DISTINCT cluster) FROM ({sql}) AS q").collect()[0],
            )
            check(count[0] == 1_000_000, f"spark {variant} on the 1M table: {count[0]} rows, {count[1]} clusters")
    spark.stop()


SHEET_COLUMNS = (
    '"Invoice" TEXT, "StockCode" TEXT, "Description" TEXT, "Quantity" BIGINT, '
    '"InvoiceDate" TIMESTAMP, "Price" DOUBLE PRECISION, "Customer ID" BIGINT, "Country" TEXT'
)

RETURNS_COLUMNS = (
    "order_id TEXT, customer_id TEXT, order_date DATE, financial_status TEXT, quantity BIGINT, "
    "unit_price DOUBLE PRECISION"
)


def run_postgres(work, transactions, big, timer):
    """Debian's server, started here on a loopback port as a non-root user, driven by psql."""
    import glob
    import shutil
    import socket
    import tempfile

    bin_dir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    as_server_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = tempfile.mkdtemp(prefix="rfm-pg-")
    if as_server_user:
        shutil.chown(data, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(as_server_user + [f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    timer.time("postgres server start", lambda: subprocess.run(
        as_server_user + [f"{bin_dir}/pg_ctl", "-D", data, "-w", "-l", f"{data}/log",
                          "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"],
        check=True, capture_output=True))

    def psql(sql):
        done = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port),
             "-U", "postgres", "-d", "postgres", "--csv", "-c", sql],
            check=True, capture_output=True, text=True)
        lines = list(csv.reader(done.stdout.splitlines()))
        return [tuple(row) for row in lines[1:]]

    try:
        psql(f"CREATE TABLE transactions ({SHEET_COLUMNS})")
        timer.time("postgres load sheet", lambda: psql(
            f"\\copy transactions FROM PROGRAM 'gzip -dc {transactions}' WITH (FORMAT csv, HEADER true)"))
        rfm_sql = query(work, "rfm.postgres.sql")
        rows = timer.time("postgres rfm query (sheet)", lambda: psql(rfm_sql))
        compare_rfm("postgres", rows, read_csv(os.path.join(work, "studio_rfm.csv")))

        def load_returns(path):
            psql(f"CREATE TABLE returns ({RETURNS_COLUMNS})")
            psql(f"\\copy returns FROM '{path}' WITH (FORMAT csv, HEADER true)")

        compare_conventions("postgres", load_returns, psql, work)
        psql(f"CREATE TABLE rfm AS SELECT customer_id, recency, frequency, monetary FROM ({rfm_sql}) AS q")
        labels = studio_labels_by_variant(work)
        for variant in VARIANTS:
            sql = query(work, f"queries/{variant}.postgres.sql")
            rows = timer.time(f"postgres {variant} scoring (sheet)", lambda: psql(sql))
            compare_labels("postgres", variant, rows, labels)
    finally:
        subprocess.run(as_server_user + [f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def run_pyspark_refit(work, timer):
    """The generated PySpark KMeans script, started from KM_PCA's centres: a fixed point."""
    rfm_csv = os.path.join(work, "studio_rfm.csv")
    out = os.path.join(work, "pyspark_km_pca")
    script = os.path.join(work, "queries", "KM_PCA.pyspark.py")
    timer.time(
        "pyspark KM_PCA refit script (sheet, incl. JVM start)",
        lambda: subprocess.run([sys.executable, script, rfm_csv, out], check=True, capture_output=True),
    )
    rows = []
    for name in sorted(os.listdir(out)):
        if name.endswith(".csv"):
            rows += [(r["customer_id"], int(r["cluster"]), r["persona"]) for r in read_csv(os.path.join(out, name))]
    labels = studio_labels_by_variant(work)
    assigned = {cid: label for cid, label, _ in rows}
    moved = sum(1 for cid, label in labels["KM_PCA"].items() if assigned.get(cid) != label)
    total = len(labels["KM_PCA"])
    check(
        len(assigned) == total and moved <= 0.001 * total,
        f"pyspark KMeans refit from KM_PCA's centres: {moved} of {total} customers move "
        "(the studio's fit is a fixed point; RFM read back rounded to the cent)",
    )


def main():
    # Spark's Python workers must be this venv's Python (numpy for pyspark.mllib).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    work = sys.argv[1]
    args = sys.argv[2:]
    big = None
    if "--big" in args:
        big = args[args.index("--big") + 1]
        args = args[: args.index("--big")]
    transactions = os.path.join(work, "transactions.csv.gz")
    timer = Timer()
    for engine in args:
        {"duckdb": run_duckdb, "spark": run_spark, "postgres": run_postgres}[engine](work, transactions, big, timer)
        if engine == "spark":
            run_pyspark_refit(work, timer)
    with open(os.path.join(work, "summary.json"), "w") as handle:
        json.dump({"failures": failures, "timings": timer.lines}, handle, indent=1)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
