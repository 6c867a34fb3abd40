"""A real SMTP server (aiosmtpd) that can be slow or refuse, and real Huey workers."""

import asyncio
import signal
import socket
import time
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from app import queue


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SlowInbox:
    """Accepts each message after `delay` seconds; refuses recipients at refused.example.com for good."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example.com"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.messages.append(envelope.content.decode("utf8", errors="replace"))
        return "250 Message accepted for delivery"

    def recipients(self):
        return [
            line.split(":", 1)[1].strip()
            for m in self.messages
            for line in m.splitlines()
            if line.startswith("To:")
        ]


@contextmanager
def smtp_server(port=None, delay=0.0):
    inbox = SlowInbox(delay)
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def queue_settings(tmp_path, redis_url=None):
    """Settings for a fresh queue: the emptied Redis database of `redis_url`, else a SQLite file."""
    if redis_url:
        return {"QUEUE_URL": redis_url}
    return {"QUEUE_PATH": str(tmp_path / "queue.db")}


@contextmanager
def running_worker(app, workers=2):
    """A Huey consumer with thread workers, as `flask worker` runs it; the test drives its scheduler."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = queue.worker(app, workers=workers, periodic=False)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def wait_for(condition, timeout=60.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"not within {timeout} s: {condition.__doc__ or condition}")
