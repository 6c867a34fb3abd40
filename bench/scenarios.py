"""The scenarios served over HTTP: pages, the webhook and logins, each against its baseline."""

import itertools
import json
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import func, select

from bench import events
from bench.client import Session
from bench.load import Result, wrk
from bench.pairs import alternate
from bench.seed import PASSWORD, portal_app
from config import ProductionConfig

WEBHOOK_RATE_CEILING = 800  # events prepared per second of a run: more than the portal can take
PAYMENT_RATE = 50  # events per second while "payment to certificate" is measured
LOGINS_PER_SECOND = 5
BASELINE_BODIES = 2000
LOGIN_ACCOUNTS = 2000
LOGIN_SAMPLES = 15  # logins, and verifies, per pair: accounts 0 to 999 are for these


@dataclass
class Run:
    """One database's run: where both apps answer and how long each measurement lasts."""

    database: object
    baseline: str
    portal: str
    seconds: int
    pairs: int
    work: Path
    out: object

    def session(self, email):
        session = Session(self.portal)
        session.login(email, PASSWORD)
        return session


def page_scenarios(run):
    """My licenses at 1 and 10 licenses, the license page and a certificate download vs page + query."""
    one, ten = run.session("licenses1@bench.example.com"), run.session("licenses10@bench.example.com")
    code = _first_license_code(run.database)
    pages = (
        ("My licenses, 1 license", one, "/licenses"),
        ("My licenses, 10 licenses", ten, "/licenses"),
        ("License page", one, f"/licenses/{code}"),
        ("Certificate download", one, f"/licenses/{code}/certificates/1.lic"),
    )
    return [
        alternate(
            name,
            lambda n: wrk(run.baseline + "/page", run.seconds),
            lambda n, s=session, p=path: wrk(run.portal + p, run.seconds, headers=[s.cookie_header()]),
            run.pairs,
            run.out,
        )
        for name, session, path in pages
    ]


def _first_license_code(database):
    from app.extensions import db
    from app.models import License, User

    with portal_app(database).app_context():
        return db.session.scalar(
            select(License.code).join(User).where(User.email == "licenses1@bench.example.com").limit(1)
        )


def webhook_scenario(run):
    """Signed payment_intent.succeeded events for distinct pending orders vs HMAC + one insert.

    The webhook's answer is measured while the worker fulfils; then how fast the worker fulfilled
    each batch. Returns (the scenario, orders fulfilled per second).
    """
    per_run = WEBHOOK_RATE_CEILING * run.seconds
    orders = iter(run.database.pending_orders[: per_run * run.pairs])
    fulfilled_per_second = []

    def baseline(n):
        path = events.write_baseline_hooks(run.work / f"hooks-{n}.txt", BASELINE_BODIES, f"{n}")
        return wrk(run.baseline + "/hook", run.seconds, bodies=path)

    def portal(n):
        batch = [order for _, order in zip(range(per_run), orders, strict=False)]
        path = events.write_portal_events(run.work / f"events-{n}.txt", batch)
        before, started = _fulfilment_counts(run.database)[0], time.monotonic()
        result = wrk(run.portal + "/webhooks/stripe", run.seconds, bodies=path)
        if result.requests > len(batch):
            run.out(f"  (the portal took more events than were prepared: {result.requests} > {len(batch)})")
        paid = _settled_counts(run.database, pause=0.2)[0] - before
        fulfilled_per_second.append(paid / (time.monotonic() - started))
        return result

    scenario = alternate("Webhook answered", baseline, portal, run.pairs, run.out)
    return scenario, statistics.median(fulfilled_per_second)


def payment_to_certificate(run, rate=PAYMENT_RATE):
    """Seconds from each event's POST to its order paid with its certificate, at ``rate`` events a second."""
    from app.extensions import db
    from app.models import Order

    count = rate * max(run.seconds, 2)
    batch = run.database.pending_orders[-count:]
    posted, seen = {}, {}
    sent = threading.Event()

    def watch():
        deadline = None
        with portal_app(run.database).app_context():
            while len(seen) < len(batch) and (deadline is None or time.monotonic() < deadline):
                waiting = [order_id for order_id in posted if order_id not in seen]
                if waiting:
                    paid = db.session.scalars(
                        select(Order.id).where(Order.id.in_(waiting), Order.status == "paid")
                    ).all()
                    now = time.monotonic()
                    seen.update((order_id, now) for order_id in paid)
                    db.session.rollback()
                if deadline is None and sent.is_set():
                    deadline = time.monotonic() + 30
                time.sleep(0.005)

    def post(order):
        payload = events.succeeded_event(*order)
        headers = {"Stripe-Signature": events.stripe_signature(payload), "Content-Type": "application/json"}
        posted[order[0]] = time.monotonic()
        Session(run.portal).request("POST", "/webhooks/stripe", payload, headers)

    watcher = threading.Thread(target=watch)
    watcher.start()
    senders, start = [], time.monotonic()
    for n, order in enumerate(batch):
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        senders.append(threading.Thread(target=post, args=(order,)))
        senders[-1].start()
    for sender in senders:
        sender.join()
    sent.set()
    watcher.join()
    return sorted(seen[order_id] - posted[order_id] for order_id in seen), len(batch)


def print_targets(out, database_name, answered, latencies, expected, fulfilled_per_second, holds):
    """The four measures the webhook is held to, each against its target."""
    p50 = statistics.median(latencies) * 1000 if latencies else float("inf")
    p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98] * 1000 if len(latencies) > 1 else p50
    answer_p50, answer_p99 = answered.median("portal", "p50_ms"), answered.median("portal", "p99_ms")
    rows = [
        (
            "webhook answered / HMAC + insert",
            f"{answered.median_ratio:.0%} of the baseline, p99 {answer_p99:.1f} ms = "
            f"{answer_p99 / answer_p50 if answer_p50 else 0:.1f}x p50",
            answered.median_ratio >= 0.5 and answer_p99 <= 4 * answer_p50,
            ">= 50%, p99 <= 4x p50",
        ),
        (
            f"payment to certificate at {PAYMENT_RATE}/s",
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms ({len(latencies)} of {expected} fulfilled)",
            p50 <= 150 and p99 <= 1000 and len(latencies) == expected,
            "p50 <= 150 ms, p99 <= 1 s",
        ),
        (
            "fulfilment throughput with the worker",
            f"{fulfilled_per_second:.0f} per second",
            fulfilled_per_second >= 100,
            ">= 100 per second",
        ),
        (
            "exactly once",
            "every event applied once; delivered again: no change" if holds else "BROKEN",
            holds,
            "",
        ),
    ]
    out(f"\n{database_name}: the webhook's targets (one worker process, 2 threads)")
    out(f"{'measure':<40} {'measured':<52} {'target':<26} met")
    for measure, measured, met, target in rows:
        out(f"{measure:<40} {measured:<52} {target:<26} {'yes' if met else 'NO'}")


def check_exactly_once(database, out):
    """Every paid order has exactly one certificate, and every fulfilled event paid one order."""
    paid, certified, doubled, processed = _settled_counts(database)
    holds = paid == certified == processed and doubled == 0
    out(
        f"Exactly once: {paid} orders paid, {certified} with a certificate, {doubled} with more than one,"
        f" {processed} events fulfilled: {'holds' if holds else 'BROKEN'}"
    )
    return holds


def _settled_counts(database, pause=0.5, patience=40):
    """The counts once the requests wrk left in flight have finished (two equal readings in a row)."""
    previous = None
    for _ in range(patience):
        counts = _fulfilment_counts(database)
        if counts == previous:
            return counts
        previous = counts
        time.sleep(pause)
    return previous


def _fulfilment_counts(database):
    """(orders paid, with a certificate, with more than one; events fulfilled) in one snapshot."""
    from app.extensions import db
    from app.models import Certificate, Order, StripeEvent

    per_order = (
        select(Certificate.order_id, func.count().label("n"))
        .join(Order, Order.id == Certificate.order_id)
        .where(Order.kind == "new")
        .group_by(Certificate.order_id)
        .subquery()
    )
    counts = select(
        select(func.count()).where(Order.status == "paid", Order.kind == "new").scalar_subquery(),
        select(func.count()).select_from(per_order).scalar_subquery(),
        select(func.count()).select_from(per_order).where(per_order.c.n != 1).scalar_subquery(),
        select(func.count())
        .where(StripeEvent.processed_at.is_not(None), StripeEvent.outcome == "fulfilled")
        .scalar_subquery(),
    )
    with portal_app(database).app_context():
        return tuple(db.session.execute(counts).one())


def redeliver(run, count=20):
    """Deliver again events the portal has fulfilled: each must answer 200 "already processed"."""
    from app.extensions import db
    from app.models import Order

    with portal_app(run.database).app_context():
        paid = set(db.session.scalars(select(Order.id).where(Order.status == "paid", Order.kind == "new")))
    session = Session(run.portal)
    answers = []
    for order in [order for order in run.database.pending_orders if order[0] in paid][:count]:
        payload = events.succeeded_event(*order)
        headers = {"Stripe-Signature": events.stripe_signature(payload), "Content-Type": "application/json"}
        status, _, body = session.request("POST", "/webhooks/stripe", payload, headers)
        answers.append((status, json.loads(body).get("outcome")))
    repeated = all(answer == (200, "already processed") for answer in answers)
    run.out(f"Delivered {len(answers)} fulfilled events again: {'no change' if repeated else answers}")
    return repeated


def argon2_verify():
    """A timed check by argon2-cffi alone, at the parameters the portal hashes with."""
    config = ProductionConfig()
    hasher = PasswordHasher(
        time_cost=config.ARGON2_TIME_COST,
        memory_cost=config.ARGON2_MEMORY_COST,
        parallelism=config.ARGON2_PARALLELISM,
    )
    hashed = hasher.hash(PASSWORD)

    def verify():
        started = time.perf_counter()
        hasher.verify(hashed, PASSWORD)
        return time.perf_counter() - started

    return verify


def one_at_a_time(measure, samples):
    """``samples`` calls of ``measure`` (each returns the seconds it timed) in a row, as a Result."""
    times = [measure() for _ in range(samples)]
    return Result(
        rps=samples / sum(times),
        p50_ms=statistics.median(times) * 1000,
        p99_ms=statistics.quantiles(times, n=100, method="inclusive")[98] * 1000,
        non2xx=0,
        requests=samples,
    )


def login_scenarios(run):
    """Logins (the form's POST) vs argon2-cffi's verify alone; a page's throughput while logins run at 5/s."""
    verify, accounts = argon2_verify(), itertools.count()

    def log_in():
        """The seconds of the login form's POST, for a new account from a new address (no rate limit)."""
        n = next(accounts)
        session = Session(run.portal, address=f"10.1.{n // 250}.{n % 250}")
        return session.login(f"login{n}@bench.example.com", PASSWORD)

    logins = alternate(
        "Login (vs Argon2 verify)",
        lambda n: one_at_a_time(verify, LOGIN_SAMPLES),
        lambda n: one_at_a_time(log_in, LOGIN_SAMPLES),
        run.pairs,
        run.out,
    )
    login_ms, verify_ms = logins.median("portal", "p50_ms"), logins.median("baseline", "p50_ms")
    run.out(f"Login p50 {login_ms:.1f} ms; one Argon2 verify {verify_ms:.1f} ms: {login_ms / verify_ms:.2f}×")
    session = run.session("licenses1@bench.example.com")
    page = run.portal + "/licenses"
    during = alternate(
        "My licenses during 5 logins/s (vs alone)",
        lambda n: wrk(page, run.seconds, headers=[session.cookie_header()]),
        lambda n: _with_logins(run, n, lambda: wrk(page, run.seconds, headers=[session.cookie_header()])),
        run.pairs,
        run.out,
    )
    return logins, during


def _with_logins(run, n, measure):
    stop = threading.Event()
    thread = threading.Thread(target=_log_in_steadily, args=(run, stop, 1000 + n * 200), daemon=True)
    thread.start()
    try:
        return measure()
    finally:
        stop.set()
        thread.join()


def _log_in_steadily(run, stop, first):
    n = first
    while not stop.is_set():
        started = time.monotonic()
        Session(run.portal, address=f"10.2.{n // 250 % 250}.{n % 250}").login(
            f"login{n % LOGIN_ACCOUNTS}@bench.example.com", PASSWORD
        )
        n += 1
        stop.wait(max(0.0, 1 / LOGINS_PER_SECOND - (time.monotonic() - started)))
