"""Load from wrk: requests per second, p50, p99 and the answers that were not 2xx."""

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
THREADS = 2
CONNECTIONS = 16


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    requests: int

    @property
    def bad(self):
        return self.non2xx


def wrk(url, seconds, *, headers=(), bodies=None, connections=CONNECTIONS):
    """One wrk run against ``url``; ``bodies``: a file of requests to POST, one a line."""
    command = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout=10s", "-s", str(SCRIPT)]
    for header in headers:
        command += ["-H", header]
    command += [url, "--", str(THREADS)]
    env = {**os.environ, "BENCH_BODIES": str(bodies)} if bodies else os.environ
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    return parse(output)


def parse(output):
    match = re.search(r"^BENCH (.*)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    values = {key: int(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    seconds = values["duration_us"] / 1e6
    return Result(
        rps=values["requests"] / seconds,
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        non2xx=values["non2xx"] + values["errors"],
        requests=values["requests"],
    )
