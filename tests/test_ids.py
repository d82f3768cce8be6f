"""parsers.ids.short_hash names every stored row: known inputs must keep the ids they always had."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.alerts.destinations import _key as destination_key
from parsers.documents.identity import item_id
from parsers.ids import short_hash
from parsers.models import Event, event_id
from parsers.policy import health
from parsers.policy.cluster import Mention, cluster_id_for

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
EVENT = Event(
    family="termination",
    type="termination",
    actor="RU",
    counterparts=("UA", "GE"),
    domain="economic",
    evidence="x",
    span=(0, 1),
    confidence=0.9,
    rule="r",
)


# Expected values were computed with the four hashes this one replaced (storage.short_hash,
# identity._digest and the two in ingest/health.py) before they were merged.
@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (short_hash("a", "b", "c"), "e0dee694aed26d323b0d8b86"),
        (item_id("src", "https://e.example/a?utm_source=x", None, None), "ac7741215b5387f498f66e61"),
        (item_id("src", "guid-1", None, None), "3df709ac9fee736d8b584a3e"),
        (item_id("src", None, "https://E.example/a?b=1&utm_x=2", None), "9b6969de72d25dcd58aaf4e6"),
        (item_id("ру", None, None, "Россия  вышла"), "2e3330db438a54eac15ab8df"),
        (event_id("ac7741215b5387f498f66e61", EVENT), "3e31271677522cb2c5c0ab56"),
        (cluster_id_for(Mention("e0dee694aed26d323b0d8b86", "s", "g", NOW, EVENT)), "c_32571ff486f2d35f0ed4"),
        (destination_key("mailto://user:secret@example.org"), "601ec30890777240"),
    ],
)
def test_known_inputs_keep_their_ids(got: str, expected: str) -> None:
    assert got == expected


def test_health_transition_ids_are_unchanged() -> None:
    prev = health.SourceHealth("s", state="ok", score=2.0, consecutive_failures=2)
    _, events = health.assess(
        prev, health.Outcome("connect"), now=NOW, run_id="run-1", policy=health.HealthPolicy(failing_at=3.0)
    )
    assert [e.health_event_id for e in events] == ["b4ea522b5b38b37758f78c23"]
    _, by_hand = health.by_hand(prev, enable=False, now=NOW)
    assert by_hand.health_event_id == "e13fd5f1c8d5ea7e5bbe37fc"
