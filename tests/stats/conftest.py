"""Statistics tests read syslog stamps as local time: pin the zone so they mean UTC."""

import time

import pytest


@pytest.fixture(autouse=True)
def utc_timezone(monkeypatch):
    """Run with TZ=UTC (the fixture logs' stamps are UTC)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
