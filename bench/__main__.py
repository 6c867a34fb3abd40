"""python -m bench: every scenario on SQLite (WAL), then on PostgreSQL when DATABASE_URL is set.

DATABASE_URL must name a database of the bench's own: it is emptied and migrated first.
"""

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import inprocess, scenarios, seed, servers
from bench.baseline import create_app as baseline_app
from bench.baseline import seed as seed_baseline
from bench.pairs import HEADER
from config import database_url


def options(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each run (default 10)")
    parser.add_argument("--pairs", type=int, default=3, help="baseline/portal pairs per scenario (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each app (default 2)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (default sync)")
    parser.add_argument("--rows", default="100,10000,100000", help="console list sizes, comma-separated")
    parser.add_argument("--smoke", action="store_true", help="one 1 s pair each, small seeds: does it run?")
    parser.add_argument(
        "--in-process-only", action="store_true", help="statements, console lists, extractor only"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.pairs, args.rows = 1, 1, "100,1000"
    args.rows = [int(n) for n in args.rows.split(",")]
    return args


def ensure_wrk():
    if shutil.which("wrk"):
        return
    print("wrk is missing: installing it with apt-get", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)


def databases(work):
    found = [seed.Database(f"sqlite:///{work / 'bench.db'}", work / "sqlite")]
    if os.environ.get("DATABASE_URL"):
        url = database_url(None)
        if "bench" not in url.rsplit("/", 1)[-1]:
            raise SystemExit(
                "The bench empties the database it runs on: name it for the bench (e.g. portal_bench)."
            )
        found.append(seed.Database(url, work / "postgresql"))
    return found


def prepare(database, args):
    database.instance.mkdir(parents=True, exist_ok=True)
    app = seed.portal_app(database)
    seed.migrate_empty(app)
    seed_baseline(baseline_app(database.url))
    seed.seed_customers(database, app, logins=scenarios.LOGIN_ACCOUNTS)
    per_run = scenarios.WEBHOOK_RATE_CEILING * args.seconds
    latency_run = scenarios.PAYMENT_RATE * max(args.seconds, 2)
    seed.seed_pending_orders(database, app, per_run * args.pairs + latency_run)


def served(database, args, work):
    common = {"workers": args.workers, "worker_class": args.worker_class, "log": work / "gunicorn.log"}
    baseline = servers.gunicorn(
        "bench.baseline.wsgi:app", {"BASELINE_DATABASE_URL": database.url}, probe="/page", **common
    )
    portal = servers.gunicorn("wsgi:app", database.portal_env(), **common)
    worker = servers.worker(database.portal_env(), log=work / "worker.log")
    return baseline, portal, worker


def run_database(database, args, work, out):
    out(
        f"\n== {database.name}: gunicorn {args.workers} {args.worker_class} workers, wrk -t2 -c16,"
        f" {args.pairs} pairs of {args.seconds} s =="
    )
    prepare(database, args)
    holds = True if args.in_process_only else served_scenarios(database, args, work, out)
    inprocess.statements_per_page(database, out)
    inprocess.console_lists(database, args.rows, out)
    return holds


def served_scenarios(database, args, work, out):
    """The scenarios over HTTP; whether exactly-once held."""
    baseline_server, portal_server, worker = served(database, args, work)
    with baseline_server as baseline, portal_server as portal, worker:
        run = scenarios.Run(database, baseline, portal, args.seconds, args.pairs, work, out)
        out(HEADER)
        scenarios.page_scenarios(run)
        answered, fulfilled_per_second = scenarios.webhook_scenario(run)
        latencies, expected = scenarios.payment_to_certificate(run)
        holds = scenarios.check_exactly_once(database, out) and scenarios.redeliver(run)
        holds = holds and scenarios.check_exactly_once(database, out)
        scenarios.print_targets(
            out, database.name, answered, latencies, expected, fulfilled_per_second, holds
        )
        scenarios.login_scenarios(run)
    return holds


def main(argv=None):
    args = options(argv)
    ensure_wrk()
    logging.disable(logging.INFO)  # the in-process portal's request log: the bench prints its own

    def out(line):
        print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        work = Path(tmp)
        holds = [run_database(database, args, work, out) for database in databases(work)]
        inprocess.extractor(databases(work)[0], out, samples=3 if args.smoke else 11)
    if not all(holds):
        out("Exactly-once did NOT hold.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
