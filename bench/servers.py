"""Both apps under gunicorn, with the same worker count and class."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT = 30


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app_path, env, *, workers, worker_class, log, probe="/"):
    """Serve ``app_path`` on a free port until the block ends; yields its base URL. Output goes to ``log``."""
    port = free_port()
    command = [
        str(GUNICORN),
        app_path,
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--worker-class={worker_class}",
        "--threads=4" if worker_class == "gthread" else "--threads=1",
        "--log-level=warning",
        "--backlog=2048",
    ]
    with open(log, "ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + probe, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(url, process):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError as error:
            if getattr(error, "code", None):  # an HTTP error answer: the server is up
                return
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {START_TIMEOUT} s")


@contextmanager
def worker(env, *, log, threads=2):
    """One `flask worker` process with ``threads`` threads, applying the events the portal stores."""
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "worker", f"--workers={threads}"]
    with open(log, "ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        time.sleep(1.0)  # the consumer is up and blocking on the queue
        if process.poll() is not None:
            raise SystemExit(f"flask worker exited with {process.returncode} while starting")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
