#!/usr/bin/env python3
"""Times `healthscore backtest` on nightly results tables, as the README's
back-test table reports it: seconds and peak memory per run, builds side
by side in interleaved rounds, and checks that every build prints the same
table.

    python3 shared/perf/gen.py 300000 /tmp/v0m-300k  # pip install numpy pyarrow
    cargo build --release -p healthscore-cli
    python3 cli/benches/backtest.py /tmp/v0m-300k/accounts.parquet /tmp/bt \\
        target/release/healthscore [/path/to/an/older/healthscore ...] [--rounds 3]

From gen.py's accounts (the reference model v0m of `shared/perf`) it
builds, with the first build given, in WORKDIR:

- nights/: six nights of results tables (`score --out`, as of 2026-11-01
  to 06), a file each, the accounts in one order;
- shuffled/: the same six nights, each file's rows in another order;
- again/: the six nights with the third given twice (300,000 second
  scores, each told with where its first was);
- part30/: thirty nights partitioned by `as_of=…/part-0.parquet` (one
  night's table without its `as_of` column, linked thirty times);
- year/: a year of the first 100,000 accounts, partitioned the same way
  (365 links);
- outcomes.csv: 3,000 outcomes of random accounts and dates (seeded: the
  same file every time), half churned, a third expanded.

Only the standard library and pyarrow. The tables are built in a process
of their own, so that the timing process stays small: a child's peak
memory as the system reports it is at least its parent's size when it
was started.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta

MODEL = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data", "model-v0m.json")


def build(accounts, work, binary):
    """The tables and outcomes, built once (kept if WORKDIR has them)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    done = os.path.join(work, ".built")
    if os.path.exists(done):
        return
    os.makedirs(work, exist_ok=True)
    nights = os.path.join(work, "nights")
    os.makedirs(nights, exist_ok=True)
    for d in range(1, 7):
        out = os.path.join(nights, f"2026-11-0{d}.parquet")
        subprocess.run(
            [binary, "score", "--model", MODEL, "--accounts", accounts,
             "--as-of", f"2026-11-0{d}", "--out", out],
            check=True, stderr=subprocess.DEVNULL)
    shuffled = os.path.join(work, "shuffled")
    os.makedirs(shuffled, exist_ok=True)
    rng = random.Random(20261101)
    for name in sorted(os.listdir(nights)):
        table = pq.read_table(os.path.join(nights, name))
        order = list(range(table.num_rows))
        rng.shuffle(order)
        pq.write_table(table.take(pa.array(order)), os.path.join(shuffled, name))
    again = os.path.join(work, "again")
    os.makedirs(again, exist_ok=True)
    for name in sorted(os.listdir(nights)):
        target = os.path.join(again, name)
        if not os.path.exists(target):
            os.link(os.path.join(nights, name), target)
    third = os.path.join(again, "2026-11-09-the-third-again.parquet")
    if not os.path.exists(third):
        os.link(os.path.join(nights, "2026-11-03.parquet"), third)
    night = pq.read_table(os.path.join(nights, "2026-11-01.parquet"))
    night = night.drop_columns(["as_of"])
    one = os.path.join(work, "night-without-as_of.parquet")
    pq.write_table(night, one)
    first = os.path.join(work, "first-100000-without-as_of.parquet")
    pq.write_table(night.slice(0, 100_000), first)
    for name, source, start, days in [
        ("part30", one, date(2026, 10, 1), 30),
        ("year", first, date(2025, 11, 1), 365),
    ]:
        for k in range(days):
            part = os.path.join(work, name, f"as_of={start + timedelta(days=k)}")
            os.makedirs(part, exist_ok=True)
            target = os.path.join(part, "part-0.parquet")
            if not os.path.exists(target):
                os.link(source, target)
    ids = pc.unique(night.column("id")).to_pylist()
    rng = random.Random(3000)
    with open(os.path.join(work, "outcomes.csv"), "w") as f:
        f.write("account,date,outcome,mrr\n")
        for _ in range(3000):
            account = rng.choice(ids)
            day = date(2025, 11, 1) + timedelta(days=rng.randrange(450))
            pick = rng.random()
            if pick < 0.5:
                f.write(f"{account},{day},churned,\n")
            elif pick < 0.83:
                f.write(f"{account},{day},expanded,{rng.randrange(100, 10000)}.00\n")
            else:
                f.write(f"{account},{day},renewed,\n")
    open(done, "w").close()


def run(binary, scores, outcomes):
    """One run: seconds, peak memory in MB, the table printed."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [binary, "backtest", "--scores", scores, "--outcomes", outcomes],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    table = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    # 3: some scores were rejected (the second scores), the rest counted.
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        sys.exit(f"{binary} backtest --scores {scores}: exit status {code}")
    return seconds, usage.ru_maxrss / 1024, table


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("accounts", help="gen.py's accounts.parquet")
    parser.add_argument("work", help="where the tables are built (and kept)")
    parser.add_argument("binaries", nargs="+", help="healthscore builds to time")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.accounts, args.work, args.binaries[0])
        return
    subprocess.run([sys.executable, __file__, "--build-only", args.accounts, args.work,
                    args.binaries[0]], check=True)
    outcomes = os.path.join(args.work, "outcomes.csv")
    cases = [
        ("six nights, a file each", "nights"),
        ("the same six nights, each file's rows shuffled", "shuffled"),
        ("the six nights with the third given twice", "again"),
        ("thirty nights, partitioned", "part30"),
        ("a year of 100,000, partitioned", "year"),
    ]
    for label, name in cases:
        scores = os.path.join(args.work, name)
        times = {b: [] for b in args.binaries}
        memory = {b: 0.0 for b in args.binaries}
        tables = set()
        for _ in range(args.rounds):
            for b in args.binaries:
                seconds, mb, table = run(b, scores, outcomes)
                times[b].append(seconds)
                memory[b] = max(memory[b], mb)
                tables.add(table)
        if len(tables) != 1:
            sys.exit(f"{label}: the builds printed different tables")
        cells = [f"{min(times[b]):.2f}–{max(times[b]):.2f} s, {memory[b]:.0f} MB"
                 for b in args.binaries]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
