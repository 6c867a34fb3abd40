"""Baseline and portal run in turn, so both see the same noisy machine; the ratio is per pair.

The order alternates (baseline first, then portal first: ABBA), so that neither side always runs
on a machine warmed or tired by the other.
"""

import statistics
from dataclasses import dataclass

from bench.load import Result


@dataclass(frozen=True)
class Pair:
    baseline: Result
    portal: Result

    @property
    def ratio(self):
        return self.portal.rps / self.baseline.rps if self.baseline.rps else 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    pairs: tuple

    @property
    def median_ratio(self):
        return statistics.median(p.ratio for p in self.pairs)

    def median(self, side, metric):
        return statistics.median(getattr(getattr(p, side), metric) for p in self.pairs)


def alternate(name, run_baseline, run_portal, pairs, out):
    """``pairs`` runs of each, the first of each pair alternating (ABBA), printed as they finish."""
    done = []
    for n in range(pairs):
        if n % 2:
            portal, baseline = run_portal(n), run_baseline(n)
        else:
            baseline, portal = run_baseline(n), run_portal(n)
        pair = Pair(baseline, portal)
        out(row(f"{name} #{n + 1}", pair.baseline, pair.portal, pair.ratio))
        done.append(pair)
    scenario = Scenario(name, tuple(done))
    out(median_row(scenario))
    return scenario


HEADER = (
    f"{'scenario':<34} {'base rps':>9} {'p50':>7} {'p99':>7} {'n2xx':>5} │"
    f" {'portal rps':>10} {'p50':>7} {'p99':>7} {'n2xx':>5} │ {'ratio':>6}"
)


def row(label, base, portal, ratio):
    return (
        f"{label:<34} {base.rps:>9.1f} {base.p50_ms:>7.1f} {base.p99_ms:>7.1f} {base.non2xx:>5} │"
        f" {portal.rps:>10.1f} {portal.p50_ms:>7.1f} {portal.p99_ms:>7.1f} {portal.non2xx:>5} │ {ratio:>6.0%}"
    )


def median_row(scenario):
    med = scenario.median
    return (
        f"{scenario.name + ' median':<34} {med('baseline', 'rps'):>9.1f} {med('baseline', 'p50_ms'):>7.1f}"
        f" {med('baseline', 'p99_ms'):>7.1f} {'':>5} │ {med('portal', 'rps'):>10.1f}"
        f" {med('portal', 'p50_ms'):>7.1f} {med('portal', 'p99_ms'):>7.1f} {'':>5} │"
        f" {scenario.median_ratio:>6.0%}"
    )
