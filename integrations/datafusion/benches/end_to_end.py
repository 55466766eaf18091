"""Parquet on disk to scores on disk, side by side: healthscore (the CLI's
Arrow path and the DataFusion SQL path) against DuckDB and polars running
the same model, reference model v0m, on the same file, in one run.

usage (from the repository root, after `cargo build --release -p healthscore-cli
-p healthscore-datafusion --example sql`, and `pip install duckdb polars`):

    python3 integrations/datafusion/benches/end_to_end.py ACCOUNTS.parquet [ROUNDS]

ACCOUNTS.parquet: e.g. `python3 shared/perf/gen.py 1000000 /tmp/v0m` (the
reference file, whose bands every engine in shared/perf agrees on).

Each engine runs as its own process under /usr/bin/time (wall seconds and
peak resident memory), reads the file, scores every account, writes id,
score and band to Parquet (healthscore also segment, scorecard, coverage,
dimension scores and error; the CLI runs with --no-drivers, as the peers
compute no driver). The rounds are interleaved (every engine once per
round); min and median are printed. The DuckDB and polars models are built
from examples/data/model-v0m.json (piecewise-linear curves, mean per
dimension over present metrics, scorecard by MRR and size tier, dimension
weights redistributed over present dimensions, bands by the scorecard's
thresholds) in f64: inexact and without validation, as a peer would write
it. After the rounds every engine's band counts are compared.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MODEL = json.load(open(os.path.join(ROOT, "examples", "data", "model-v0m.json")))
DIMS = ["deployment", "engagement", "adoption", "roi"]
BANDS = ["green", "lime", "yellow", "red"]


def tiers():
    """(mrr tier ids, size tier ids, card index per (mrr, size), cards)."""
    seg = MODEL["segments"]
    cards = MODEL["scorecards"]
    index = {}
    for i, c in enumerate(cards):
        for m in c["when"]["mrr"]:
            for s in c["when"]["size"]:
                index[(m, s)] = i
    return seg["mrr_tiers"], seg["size_tiers"], index, cards


# ---------------------------------------------------------------- DuckDB SQL
def curve_sql(col, points):
    (x0, y0) = points[0]
    parts = [f"WHEN {col} IS NULL THEN NULL", f"WHEN {col} <= {x0} THEN {y0}"]
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        parts.append(f"WHEN {col} <= {xb} THEN {ya} + ({col} - {xa}) * {(yb - ya) / (xb - xa)!r}")
    parts.append(f"ELSE {points[-1][1]}")
    return "CASE " + " ".join(parts) + " END"


def tier_sql(col, ts):
    parts = [f"WHEN {col} < {t['to']} THEN {i}" for i, t in enumerate(ts) if "to" in t]
    return "CASE " + " ".join(parts) + f" ELSE {len(ts) - 1} END"


def duckdb_sql(src, dst):
    mrr_t, size_t, index, cards = tiers()
    metrics = MODEL["metrics"]
    scored = ",\n  ".join(f"{curve_sql(m['id'], m['curve']['points'])} AS s_{m['id']}" for m in metrics)
    dims = []
    for d in DIMS:
        ms = [m["id"] for m in metrics if m["dimension"] == d]
        num = " + ".join(f"coalesce(s_{m}, 0)" for m in ms)
        den = " + ".join(f"(s_{m} IS NOT NULL)::INT" for m in ms)
        dims.append(f"({num}) / nullif({den}, 0) AS d_{d}")
    card_cases = " ".join(
        f"WHEN mt = {i} AND st = {j} THEN {index[(mt['id'], st['id'])]}"
        for i, mt in enumerate(mrr_t) for j, st in enumerate(size_t))

    def by_card(f):
        return "CASE card " + " ".join(f"WHEN {i} THEN {f(c)}" for i, c in enumerate(cards)) + " END"

    num = " + ".join(f"coalesce({by_card(lambda c, d=d: c['dimension_weights'][d])} * d_{d}, 0)" for d in DIMS)
    den = " + ".join(f"CASE WHEN d_{d} IS NULL THEN 0 ELSE {by_card(lambda c, d=d: c['dimension_weights'][d])} END" for d in DIMS)
    band = ("CASE WHEN score IS NULL THEN NULL "
            + " ".join(f"WHEN score >= {by_card(lambda c, b=b: c['bands'][b])} THEN '{b}'" for b in BANDS[:3])
            + " ELSE 'red' END")
    return f"""
COPY (
WITH s AS (SELECT id, {tier_sql('mrr', mrr_t)} AS mt, {tier_sql('employees', size_t)} AS st,
  {scored}
  FROM read_parquet('{src}')),
d AS (SELECT id, mt, st, {', '.join(dims)} FROM s),
c AS (SELECT *, CASE {card_cases} END AS card FROM d),
o AS (SELECT id, card, ({num}) / nullif({den}, 0) AS score FROM c)
SELECT id, score, {band} AS band FROM o
) TO '{dst}' (FORMAT PARQUET)"""


def run_duckdb(src, dst, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(duckdb_sql(src, dst))


# ------------------------------------------------------------------- polars
def run_polars(src, dst):
    import polars as pl
    mrr_t, size_t, index, cards = tiers()
    metrics = MODEL["metrics"]

    def curve(col, points):
        x = pl.col(col).cast(pl.Float64)
        e = pl.when(x.is_null()).then(None).when(x <= points[0][0]).then(pl.lit(float(points[0][1])))
        for (xa, ya), (xb, yb) in zip(points, points[1:]):
            e = e.when(x <= xb).then(ya + (x - xa) * ((yb - ya) / (xb - xa)))
        return e.otherwise(pl.lit(float(points[-1][1])))

    def tier(col, ts):
        x = pl.col(col).cast(pl.Float64)
        bounded = [(i, t) for i, t in enumerate(ts) if "to" in t]
        e = pl.when(x < bounded[0][1]["to"]).then(pl.lit(bounded[0][0]))
        for i, t in bounded[1:]:
            e = e.when(x < t["to"]).then(pl.lit(i))
        return e.otherwise(pl.lit(len(ts) - 1))

    lf = pl.scan_parquet(src)
    lf = lf.with_columns([curve(m["id"], m["curve"]["points"]).alias("s_" + m["id"]) for m in metrics]
                         + [tier("mrr", mrr_t).alias("mt"), tier("employees", size_t).alias("st")])
    dims = []
    for d in DIMS:
        ms = ["s_" + m["id"] for m in metrics if m["dimension"] == d]
        num = sum(pl.col(m).fill_null(0.0) for m in ms)
        den = sum(pl.col(m).is_not_null().cast(pl.Float64) for m in ms)
        dims.append(pl.when(den > 0).then(num / den).otherwise(None).alias("d_" + d))
    lf = lf.with_columns(dims)
    card = None
    for (m, s), i in index.items():
        mi = [t["id"] for t in mrr_t].index(m)
        si = [t["id"] for t in size_t].index(s)
        cond = (pl.col("mt") == mi) & (pl.col("st") == si)
        card = pl.when(cond).then(pl.lit(i)) if card is None else card.when(cond).then(pl.lit(i))
    lf = lf.with_columns(card.otherwise(None).alias("card"))

    def by_card(f):
        e = None
        for i, c in enumerate(cards):
            e = pl.when(pl.col("card") == i).then(pl.lit(float(f(c)))) if e is None else e.when(pl.col("card") == i).then(pl.lit(float(f(c))))
        return e.otherwise(None)

    num = sum((by_card(lambda c, d=d: c["dimension_weights"][d]) * pl.col("d_" + d)).fill_null(0.0) for d in DIMS)
    den = sum(pl.when(pl.col("d_" + d).is_null()).then(0.0).otherwise(by_card(lambda c, d=d: c["dimension_weights"][d])) for d in DIMS)
    lf = lf.with_columns(pl.when(den > 0).then(num / den).otherwise(None).alias("score"))
    band = pl.when(pl.col("score").is_null()).then(None)
    for b in BANDS[:3]:
        band = band.when(pl.col("score") >= by_card(lambda c, b=b: c["bands"][b])).then(pl.lit(b))
    lf = lf.with_columns(band.otherwise(pl.lit("red")).alias("band"))
    lf.select(["id", "score", "band"]).sink_parquet(dst)


# ------------------------------------------------------------------- driver
def timed(cmd, env=None):
    """Wall seconds and peak RSS (MB) of a command, via /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r") as t:
        full = ["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd
        subprocess.run(full, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, rss = t.read().split()[-2:]
        return float(wall), int(rss) / 1024


def band_counts(path):
    import duckdb
    rows = duckdb.sql(f"SELECT CAST(band AS VARCHAR), count(*) FROM read_parquet('{path}') GROUP BY 1").fetchall()
    counts = dict(rows)
    return tuple(counts.get(b, 0) for b in BANDS + [None])


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "run":
        engine, threads, src, dst = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
        if engine == "duckdb":
            run_duckdb(src, dst, threads)
        else:
            run_polars(src, dst)
        return
    src = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    out = tempfile.mkdtemp(prefix="healthscore-e2e-")
    hs = os.path.join(ROOT, "target", "release", "healthscore")
    sql = os.path.join(ROOT, "target", "release", "examples", "sql")
    model = os.path.join(ROOT, "examples", "data", "model-v0m.json")
    me = os.path.abspath(__file__)
    engines = {}
    for threads in (1, 2):
        engines[f"healthscore CLI, {threads} thread(s)"] = (
            [hs, "score", "--model", model, "--as-of", "2026-11-30", "--accounts", src,
             "--out", os.path.join(out, f"cli{threads}.parquet"), "--threads", str(threads), "--no-drivers"], None,
            os.path.join(out, f"cli{threads}.parquet"))
        engines[f"healthscore SQL (DataFusion), {threads} partition(s)"] = (
            [sql, "--accounts", src, "--out", os.path.join(out, f"sql{threads}.parquet"),
             "--partitions", str(threads)], None, os.path.join(out, f"sql{threads}.parquet"))
        engines[f"DuckDB, {threads} thread(s)"] = (
            [sys.executable, me, "run", "duckdb", str(threads), src, os.path.join(out, f"duckdb{threads}.parquet")],
            None, os.path.join(out, f"duckdb{threads}.parquet"))
        env = dict(os.environ, POLARS_MAX_THREADS=str(threads))
        engines[f"polars, {threads} thread(s)"] = (
            [sys.executable, me, "run", "polars", str(threads), src, os.path.join(out, f"polars{threads}.parquet")],
            env, os.path.join(out, f"polars{threads}.parquet"))
    # What starting Python and importing the peer costs, timed in the same
    # rounds, so that the peers' own work can be read off.
    for peer in ("duckdb", "polars"):
        engines[f"(python3 -c 'import {peer}')"] = ([sys.executable, "-c", f"import {peer}"], None, None)
    results = {name: [] for name in engines}
    for _ in range(rounds):
        for name, (cmd, env, _) in engines.items():
            results[name].append(timed(cmd, env))
    print(f"{src}: Parquet to Parquet, {rounds} interleaved rounds; wall seconds and peak memory (min / median)")
    start = {}
    for name, runs in results.items():
        if name.startswith("(python3"):
            start[name.split("import ")[1].rstrip("')")] = min(r[0] for r in runs)
    for name, runs in results.items():
        walls = sorted(r[0] for r in runs)
        rss = sorted(r[1] for r in runs)
        peer = name.split(",")[0].lower()
        net = f"   {walls[0] - start[peer]:5.2f} s without start-up" if peer in start else ""
        print(f"  {name:<46} {walls[0]:6.2f} / {walls[len(walls) // 2]:6.2f} s   {rss[0]:6.0f} / {rss[len(rss) // 2]:6.0f} MB{net}")
    print("band counts (green, lime, yellow, red, none):")
    for name, (_, _, path) in engines.items():
        if path:
            print(f"  {name:<46} {band_counts(path)}")


if __name__ == "__main__":
    main()
