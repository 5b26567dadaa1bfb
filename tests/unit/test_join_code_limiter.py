"""Guessing join codes is throttled: each client (a browser session) gets a few free wrong codes, then waits longer
after each further one; and the whole server accepts only so many wrong codes a minute, whoever sends them."""

from __future__ import annotations

import threading

import pytest

from workshop.service import JoinCodeLimiter

pytestmark = pytest.mark.unit


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def limiter(clock: FakeClock, **options: float) -> JoinCodeLimiter:
    settings = {"free_tries": 3, "first_wait": 2.0, "max_wait": 60.0, "global_limit": 100, "global_window": 60.0}
    return JoinCodeLimiter(clock=clock, **(settings | options))


def guesses():
    return (f"CODE{n:04d}" for n in range(10_000))


def test_a_client_gets_a_few_free_wrong_codes_then_waits_longer_after_each() -> None:
    clock = FakeClock()
    codes = guesses()
    gate = limiter(clock)
    for _ in range(3):
        assert gate.wait_seconds("phone") == 0
        gate.record_failure("phone", next(codes))
    assert gate.wait_seconds("phone") == 2  # the 3rd wrong code used the last free try: 2 s before the 4th
    clock.advance(2)
    assert gate.wait_seconds("phone") == 0
    gate.record_failure("phone", next(codes))
    assert gate.wait_seconds("phone") == 4
    clock.advance(4)
    gate.record_failure("phone", next(codes))
    assert gate.wait_seconds("phone") == 8
    clock.advance(1.5)
    assert gate.wait_seconds("phone") == 7  # rounded up: never says 0 while still refusing
    assert gate.wait_seconds("laptop") == 0  # another client is not held up


def test_the_wait_stops_growing_at_the_maximum_and_a_quiet_client_is_forgiven() -> None:
    clock = FakeClock()
    codes = guesses()
    gate = limiter(clock, max_wait=10.0)
    for _ in range(10):
        clock.advance(gate.wait_seconds("phone"))
        gate.record_failure("phone", next(codes))
    assert gate.wait_seconds("phone") == 10
    clock.advance(10 + JoinCodeLimiter.FORGET_AFTER_SECONDS)
    assert gate.wait_seconds("phone") == 0
    gate.record_failure("phone", next(codes))
    assert gate.wait_seconds("phone") == 0  # free tries again


def test_a_right_code_clears_the_clients_record() -> None:
    clock = FakeClock()
    codes = guesses()
    gate = limiter(clock)
    for _ in range(3):
        gate.record_failure("phone", next(codes))
    clock.advance(2)
    gate.record_success("phone")
    gate.record_failure("phone", next(codes))
    assert gate.wait_seconds("phone") == 0


def test_wrong_codes_from_many_clients_trip_the_global_limit_for_everyone_until_the_window_moves_on() -> None:
    clock = FakeClock()
    codes = guesses()
    gate = limiter(clock, global_limit=5, global_window=60.0)
    for i in range(5):
        gate.record_failure(f"tab {i}", next(codes))  # a new browser session for every guess
        clock.advance(1)
    assert gate.wait_seconds("a new tab") == 55  # the first of the five leaves the window 60 s after it came
    clock.advance(55)
    assert gate.wait_seconds("a new tab") == 0


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="free_tries"):
        JoinCodeLimiter(free_tries=0)
    with pytest.raises(ValueError, match="max_wait"):
        JoinCodeLimiter(first_wait=10, max_wait=5)


def test_failures_recorded_from_many_threads_at_once_are_all_counted() -> None:
    clock = FakeClock()
    gate = limiter(clock, global_limit=400)

    def guess(thread: int) -> None:
        for n in range(50):
            gate.record_failure("shared", f"CODE{thread}{n:03d}")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gate.wait_seconds("anyone else") > 0  # exactly 400 counted: the global limit is reached


def test_the_same_wrong_code_again_is_not_another_guess() -> None:
    clock = FakeClock()
    gate = limiter(clock)
    for _ in range(10):
        gate.record_failure("phone", "ABCD2345")
    gate.record_failure("phone", "ABCD2346")
    assert gate.wait_seconds("phone") == 0  # two guesses of three free
    gate.record_failure("phone", "ABCD2345")
    assert gate.wait_seconds("phone") == 2  # a code tried before, but not just now, counts again
