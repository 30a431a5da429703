"""Metric history: bounded per metric; the sampler runs in the loop and stops cleanly."""

from __future__ import annotations

import asyncio

from embedded_backend.observability.history import MetricHistory, Sampler, Value


def test_history_keeps_the_last_1000_samples_per_metric() -> None:
    history = MetricHistory()
    for i in range(1500):
        history.add({"a": i, "b": -i})
    samples = history.get("a")
    assert samples is not None and len(samples) == 1000
    assert samples[0]["value"] == 500 and samples[-1]["value"] == 1499
    assert [s["value"] for s in history.get("a", limit=3) or []] == [1497, 1498, 1499]
    assert history.get("missing") is None
    assert history.names() == ["a", "b"]


def test_sampler_samples_until_stopped_and_survives_a_failed_round() -> None:
    history = MetricHistory(size=1000)
    calls = 0

    async def take() -> dict[str, Value]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("one bad round")
        return {"n": calls}

    async def go() -> int:
        sampler = Sampler(take, history, interval_s=0.01)
        await sampler.start()
        while calls < 5:
            await asyncio.sleep(0.01)
        await sampler.stop()
        stopped_at = calls
        await asyncio.sleep(0.05)
        assert calls == stopped_at  # no more rounds after stop
        return stopped_at

    stopped_at = asyncio.run(go())
    values = [s["value"] for s in history.get("n") or []]
    assert values[0] == 1 and 2 not in values and len(values) == stopped_at - 1
