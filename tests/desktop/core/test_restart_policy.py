"""RestartPolicy: the delays and limits of DESIGN.md."""

from __future__ import annotations

import pytest

from desktop.core.errors import ConfigError
from desktop.core.restart_policy import RestartPolicy


def test_first_retry_at_once_then_doubling_from_one_second_capped_at_a_minute() -> None:
    policy = RestartPolicy()
    assert [policy.delay(n) for n in range(1, 11)] == [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_fatal_after_five_fast_failures_with_a_slow_retry() -> None:
    policy = RestartPolicy()
    assert not policy.is_fatal(4) and policy.is_fatal(5)
    assert policy.slow_retry_s == 300 and policy.healthy_reset_s == 30


@pytest.mark.parametrize(
    "values",
    [{"first_delay_s": -1}, {"factor": 0.5}, {"fatal_after": 0}, {"slow_retry_s": 0}],
)
def test_nonsense_is_refused(values: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        RestartPolicy(**values)  # type: ignore[arg-type]
