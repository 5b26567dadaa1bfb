"""Times on the workshop screens are shown in the app's time zone (UK time by default) with UTC beside them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from phm_core import settings
from workshop.service import local_time_text

pytestmark = pytest.mark.unit

LONDON = ZoneInfo("Europe/London")


def test_the_app_shows_uk_time_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.TIME_ZONE_ENV, raising=False)
    assert settings.display_time_zone() == LONDON
    monkeypatch.setenv(settings.TIME_ZONE_ENV, "Europe/Paris")
    assert settings.display_time_zone() == ZoneInfo("Europe/Paris")


def test_an_unknown_time_zone_is_refused_with_the_setting_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.TIME_ZONE_ENV, "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match=settings.TIME_ZONE_ENV):
        settings.display_time_zone()


def test_winter_is_gmt_and_the_same_as_utc() -> None:
    moment = datetime(2026, 11, 29, 16, 30, tzinfo=UTC)
    assert local_time_text(moment, zone=LONDON) == "16:30 GMT (16:30 UTC)"
    assert local_time_text(moment, zone=LONDON, with_date=True) == "16:30 GMT on 29 Nov 2026 (16:30 UTC)"


def test_summer_is_bst_an_hour_ahead_of_utc() -> None:
    moment = datetime(2026, 6, 15, 15, 30, tzinfo=UTC)
    assert local_time_text(moment, zone=LONDON) == "16:30 BST (15:30 UTC)"


def test_the_utc_date_is_given_when_it_is_not_the_local_date() -> None:
    moment = datetime(2026, 6, 15, 23, 30, tzinfo=UTC)  # 00:30 on 16 June in London
    assert local_time_text(moment, zone=LONDON, with_date=True) == "00:30 BST on 16 Jun 2026 (23:30 UTC on 15 Jun)"


def test_a_time_stored_without_a_zone_is_read_as_utc_and_seconds_can_be_shown() -> None:
    moment = datetime(2026, 3, 29, 1, 0, 5)  # the clocks went forward at 01:00 UTC that day
    assert local_time_text(moment, zone=LONDON, seconds=True) == "02:00:05 BST (01:00:05 UTC)"


def test_utc_itself_is_not_repeated() -> None:
    moment = datetime(2026, 6, 15, 15, 30, tzinfo=UTC)
    assert local_time_text(moment, zone=ZoneInfo("UTC")) == "15:30 UTC"
