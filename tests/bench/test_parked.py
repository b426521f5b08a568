"""How the parked-cases figure reads the worker's memory."""

from bench.parked import STEPS, Parked


def parked(mb_at: list[float]) -> Parked:
    count = 4000
    readings = [(step * count // STEPS, mb) for step, mb in enumerate(mb_at)]
    return Parked(count, readings, storm_seconds=1.0, baseline_seconds=2.0)


def test_growth_while_the_sticky_cache_fills_is_not_counted() -> None:
    filling_then_flat = parked([100, 200, 250, 260, 262, 262, 263, 264, 264])
    assert filling_then_flat.mb_per_thousand == 1.0
    assert filling_then_flat.cached_mb_per_thousand == 150.0, "0 to 1,000 cached cases"
    assert filling_then_flat.parked_share < 0.01


def test_a_leak_shows_as_memory_per_parked_case() -> None:
    leaking = parked([100, 150, 200, 250, 300, 350, 400, 450, 500])
    assert leaking.mb_per_thousand == 100.0
    assert leaking.parked_share == 1.0, "a parked case costs as much as a cached one"
    assert leaking.storm_ratio == 0.5
