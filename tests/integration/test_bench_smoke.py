"""`make bench` still runs: one short pair of every scenario on SQLite, and fulfilment stays exactly-once.

The numbers are not checked here (docs/performance.md holds them); the full bench is `make bench`.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_bench_runs_and_every_paid_order_has_exactly_one_certificate(redis_url):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["BENCH_REDIS_URL"] = redis_url  # the tests' Redis database, not the bench's own
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = run.stdout.splitlines()
    exactly_once = [line for line in lines if line.startswith("Exactly once:")]
    assert exactly_once and all(line.endswith("holds") for line in exactly_once)
    assert any(line.endswith("no change") for line in lines if line.startswith("Delivered"))
    for scenario in (
        "My licenses, 10 licenses median",
        "Webhook answered median",
        "payment to certificate",
        "Extractor process",
    ):
        assert any(line.startswith(scenario) for line in lines), scenario
