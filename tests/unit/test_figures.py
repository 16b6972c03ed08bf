"""Figures kept as plain numbers: buckets, merging across workers, bounded operation names."""

from __future__ import annotations

from prometheus_client.exposition import generate_latest

from server.figures import Counter, Exposition, Gauge, Histogram, merge, registry, snapshot
from server.metrics import OTHER, PROMOTE_AFTER, OperationNames
from tests.api.observed import Scrape


def test_a_value_on_a_bound_falls_in_that_bucket_and_the_exposition_is_cumulative() -> None:
    hist = Histogram("t_seconds", "time", ("op",), buckets=(0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 1.0, 7.0):
        hist.observe(("a",), value)
    text = generate_latest(registry(Exposition([hist], lambda: snapshot([hist])))).decode()
    figures = Scrape(text)
    assert figures.value("t_seconds_bucket", op="a", le="0.1") == 2
    assert figures.value("t_seconds_bucket", op="a", le="1.0") == 4
    assert figures.value("t_seconds_bucket", op="a", le="+Inf") == 5
    assert figures.value("t_seconds_count", op="a") == 5
    assert figures.value("t_seconds_sum", op="a") == 8.65


def test_merging_adds_series_by_labels() -> None:
    first, second = Counter("c", "c", ("k",)), Counter("c", "c", ("k",))
    first.inc(("x",), 2)
    second.inc(("x",), 3)
    second.inc(("y",))
    hist_a = Histogram("h", "h", buckets=(1.0,))
    hist_b = Histogram("h", "h", buckets=(1.0,))
    hist_a.observe((), 0.5)
    hist_b.observe((), 2.0)
    merged = merge(
        [
            snapshot([first, hist_a], gauges=[("g", 1)]),
            snapshot([second, hist_b], gauges=[("g", 2)], totals=[("t", 4)]),
        ]
    )
    assert sorted(map(tuple, ((tuple(k), v) for k, v in merged["counters"]["c"]))) == [
        (("x",), 5),
        (("y",), 1),
    ]
    assert merged["histograms"]["h"] == [[[], [1, 1], 2.5]]
    assert merged["gauges"]["g"] == [[[], 3]]
    assert merged["counters"]["t"] == [[[], 4]]
    families = [Counter("c", "c", ("k",)), Histogram("h", "h", buckets=(1.0,)), Gauge("g", "g")]
    text = generate_latest(registry(Exposition(families, lambda: merged))).decode()
    figures = Scrape(text)
    assert figures.value("c_total", k="x") == 5
    assert figures.value("h_count") == 2
    assert figures.value("g") == 3


def test_operation_names_are_bounded() -> None:
    names = OperationNames(limit=2, known=["FromManifest"])
    assert names.label("FromManifest") == "FromManifest"
    assert names.label(None) == "anonymous"
    labels = [names.label("Frequent") for _ in range(PROMOTE_AFTER + 1)]
    assert labels == [OTHER] * (PROMOTE_AFTER - 1) + ["Frequent"] * 2
    # Invented names never get a series, and their counting stays bounded.
    assert {names.label(f"invented{n}") for n in range(10_000)} == {OTHER}
    assert len(names._candidates) <= 16 * names.limit
    for _ in range(PROMOTE_AFTER):
        names.label("Second")
    for _ in range(PROMOTE_AFTER):
        assert names.label("Third") == OTHER  # the limit is reached
    assert names.admitted == {"Frequent", "Second"}
