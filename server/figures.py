"""Counters, gauges and histograms kept as plain numbers, written out by prometheus-client.

prometheus-client's own metrics take a lock and, in its multiprocess mode, write to a
memory-mapped file on every observation: about ten observations per request cost more
than a short read's whole budget for metrics. Here an observation is a dictionary lookup
and an addition; what is kept is a `Snapshot` (plain lists, JSON-ready), which worker
processes exchange (`server.metrics_share`) and which is handed to prometheus-client as a
custom collector for the text exposition.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

Labels = tuple[str, ...]
Snapshot = dict[str, Any]
"""{"counters"|"gauges": {name: [[labels, value], ...]},
"histograms": {name: [[labels, bucket counts (not cumulative; +Inf last), sum], ...]}}"""


class Family:
    """A named series family and its label names (`help` is what the exposition says)."""

    kind = ""

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help
        self.labels = tuple(labels)


class Gauge(Family):
    """A figure read when a snapshot is taken (`snapshot`'s `gauges`), not kept here."""

    kind = "gauges"


class Counter(Family):
    kind = "counters"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help, labels)
        self.values: dict[Labels, float] = {}

    def inc(self, labels: Labels, amount: float = 1) -> None:
        values = self.values
        values[labels] = values.get(labels, 0) + amount

    def dump(self) -> list[Any]:
        return [[list(k), v] for k, v in self.values.items()]


class Histogram(Family):
    kind = "histograms"

    def __init__(
        self, name: str, help: str, labels: Sequence[str] = (), *, buckets: Sequence[float]
    ) -> None:
        super().__init__(name, help, labels)
        self.bounds = tuple(buckets)
        self.series: dict[Labels, list[float]] = {}  # bucket counts, then the sum

    def observe(self, labels: Labels, value: float) -> None:
        try:
            found = self.series[labels]
        except KeyError:  # once per series: the usual case pays no test
            found = self.series[labels] = [0] * (len(self.bounds) + 2)
        found[bisect_left(self.bounds, value)] += 1  # `le`: a value on a bound is inside it
        found[-1] += value

    def dump(self) -> list[Any]:
        return [[list(k), v[:-1], v[-1]] for k, v in self.series.items()]


def snapshot(
    families: Iterable[Counter | Histogram],
    *,
    gauges: Iterable[tuple[str, float]] = (),
    totals: Iterable[tuple[str, float]] = (),
) -> Snapshot:
    """What `families` hold now, with unlabelled gauges and counters read at this moment."""
    out: Snapshot = {"counters": {}, "histograms": {}, "gauges": {}}
    for family in families:
        out[family.kind][family.name] = family.dump()
    for name, value in gauges:
        out["gauges"][name] = [[[], value]]
    for name, value in totals:
        out["counters"][name] = [[[], value]]
    return out


def merge(snapshots: Iterable[Snapshot]) -> Snapshot:
    """The sum of several processes' snapshots, series by series (gauges too: a pool's
    connections, the executions running, add up across workers)."""
    merged: Snapshot = {"counters": {}, "histograms": {}, "gauges": {}}
    for one in snapshots:
        for kind in ("counters", "gauges"):
            for name, rows in one.get(kind, {}).items():
                into: dict[Labels, float] = merged[kind].setdefault(name, {})
                for labels, value in rows:
                    key = tuple(labels)
                    into[key] = into.get(key, 0) + value
        for name, rows in one.get("histograms", {}).items():
            hist: dict[Labels, list[float]] = merged["histograms"].setdefault(name, {})
            for labels, counts, total in rows:
                key = tuple(labels)
                found = hist.get(key)
                if found is None:
                    hist[key] = [*counts, total]
                else:
                    for i, count in enumerate(counts):
                        found[i] += count
                    found[-1] += total
    for kind in ("counters", "gauges"):
        merged[kind] = {n: [[list(k), v] for k, v in s.items()] for n, s in merged[kind].items()}
    merged["histograms"] = {
        n: [[list(k), v[:-1], v[-1]] for k, v in s.items()] for n, s in merged["histograms"].items()
    }
    return merged


class Exposition(Collector):
    """prometheus-client's view of a snapshot: `families` say names, help, labels and
    buckets; `read` gives the figures at the moment of the scrape."""

    def __init__(self, families: Sequence[Family], read: Any) -> None:
        self.families = families
        self.read = read

    def collect(self) -> Iterator[Metric]:
        figures: Snapshot = self.read()
        for family in self.families:
            rows = figures.get(family.kind, {}).get(family.name, [])
            yield _metric(family, rows)


def _metric(family: Family, rows: list[Any]) -> Metric:
    names = list(family.labels)
    if isinstance(family, Histogram):
        histogram = HistogramMetricFamily(family.name, family.help, labels=names)
        edges = [*(_le(b) for b in family.bounds), "+Inf"]
        for labels, counts, total in rows:
            running, buckets = 0.0, []
            for edge, count in zip(edges, counts, strict=True):
                running += count
                buckets.append((edge, running))
            histogram.add_metric(labels, buckets, total)
        return histogram
    made: CounterMetricFamily | GaugeMetricFamily
    if isinstance(family, Counter):
        made = CounterMetricFamily(family.name, family.help, labels=names)
    else:
        made = GaugeMetricFamily(family.name, family.help, labels=names)
    for labels, value in rows:
        made.add_metric(labels, value)
    return made


def _le(bound: float) -> str:
    return repr(float(bound))


def registry(collector: Collector) -> CollectorRegistry:
    made = CollectorRegistry(auto_describe=False)
    made.register(collector)
    return made
