"""gunicorn's hooks for the portal, read from the project folder by `gunicorn wsgi:app`.

With PROMETHEUS_MULTIPROC_DIR set, every worker process writes its metrics to that folder and
/metrics adds them up (prometheus_client's multiprocess mode, as prometheus-flask-exporter
documents it for gunicorn).
"""

import os
from pathlib import Path


def on_starting(server):
    """Start from an empty metrics folder: an earlier run's processes are not this run's counts."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    """A worker that stopped keeps its counts, but its live gauges go."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)
