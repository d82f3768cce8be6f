"""Clustering mentions into real-world events, and which changes deserve an alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parsers.models import Event, Instrument
from parsers.policy.cluster import (
    Change,
    ClusterPolicy,
    Mention,
    assign,
    combined_confidence,
    mark_alerted,
    pending_change,
)

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
POLICY = ClusterPolicy(window=timedelta(days=21))


def ev(type_: str, actor: str, *counterparts: str, stage: str = "announced", confidence: float = 0.7) -> Event:
    family = "termination" if type_ in ("termination", "suspension", "withdrawal") else "partnership"
    return Event(
        family=family,
        type=type_,
        actor=actor,
        counterparts=tuple(counterparts),
        domain="military",
        evidence="…",
        span=(0, 1),
        confidence=confidence,
        rule="r",
        stage=stage,
    )


def mention(eid: str, event: Event, *, source: str = "wire", group: str = "news", hours: float = 0) -> Mention:
    return Mention(eid, source, group, T0 + timedelta(hours=hours), event)


def test_same_event_from_three_outlets_is_one_cluster_with_rising_confidence():
    ms = [
        mention("e1", ev("termination", "RU", "DE", "PL"), source="tass"),
        mention("e2", ev("termination", "RU", "PL", "DE"), source="ria", hours=2),
        mention("e3", ev("termination", "RU", "DE", "PL", "RO"), source="reuters", hours=30),
    ]
    assignments, touched = assign(ms, [], POLICY)
    assert len({a.cluster_id for a in assignments}) == 1
    (c,) = touched.values()
    assert c.parties == {"RU", "DE", "PL", "RO"} and c.mentions == 3 and c.sources == {"tass", "ria", "reuters"}
    assert c.confidence == combined_confidence([0.7, 0.7, 0.7], False, POLICY) > 0.97


@pytest.mark.parametrize(
    "second,same",
    [
        (ev("termination", "DE", "RU"), False),  # direction matters for terminations
        (ev("partnership_signed", "RU", "DE", "PL"), False),  # other family
        (ev("suspension", "RU", "DE"), True),  # subset of counterparts, same family
        (ev("termination", "RU", "FR", "PT"), False),  # disjoint counterparts
        (ev("termination", "RU", "DE", "PL", "RO", "BG"), True),  # superset
    ],
)
def test_which_mentions_join(second, same):
    _, touched = assign(
        [mention("e1", ev("termination", "RU", "DE", "PL")), mention("e2", second, hours=1)], [], POLICY
    )
    assert (len(touched) == 1) is same


def test_partnerships_are_symmetric():
    _, touched = assign(
        [
            mention("e1", ev("partnership_signed", "RU", "IN")),
            mention("e2", ev("partnership_signed", "IN", "RU"), hours=3),
        ],
        [],
        POLICY,
    )
    assert len(touched) == 1


def test_mentions_outside_the_window_are_new_events():
    _, touched = assign(
        [mention("e1", ev("termination", "RU", "DE")), mention("e2", ev("termination", "RU", "DE"), hours=24 * 30)],
        [],
        POLICY,
    )
    assert len(touched) == 2


def test_empty_counterparts_only_join_like_events():
    _, touched = assign(
        [mention("e1", ev("withdrawal", "RU")), mention("e2", ev("termination", "RU", "DE"), hours=1)], [], POLICY
    )
    assert len(touched) == 2


def test_alert_once_then_only_on_changes_that_matter():
    (c,) = assign([mention("e1", ev("partnership_signed", "RU", "IN", stage="signed"))], [], POLICY)[1].values()
    assert pending_change(c, 0.5) == Change("event", "new")
    c = mark_alerted(c)
    assert pending_change(c, 0.5) is None

    same = assign(
        [mention("e2", ev("partnership_signed", "IN", "RU", stage="signed"), source="ria", hours=1)], [c], POLICY
    )[1]
    c2 = same[c.cluster_id]
    assert pending_change(c2, 0.5) is None  # a second outlet adds confidence, not an alert

    later = assign([mention("e3", ev("partnership_signed", "RU", "IN", stage="ratified"), hours=48)], [c2], POLICY)[1]
    assert pending_change(later[c.cluster_id], 0.5) == Change("update", "stage:ratified")

    more = assign(
        [
            mention("e4", ev("termination", "RU", "DE")),
        ],
        [],
        POLICY,
    )[1]
    (t,) = more.values()
    t = mark_alerted(t)
    grown = assign([mention("e5", ev("termination", "RU", "DE", "HR", "BE"), hours=5)], [t], POLICY)[1][t.cluster_id]
    assert pending_change(grown, 0.5) == Change("update", "parties:+BE,HR")


def test_official_confirmation_is_an_update_and_raises_confidence():
    (c,) = assign([mention("e1", ev("termination", "RU", "FR", confidence=0.6))], [], POLICY)[1].values()
    c = mark_alerted(c)
    official = assign(
        [mention("e2", ev("termination", "RU", "FR", confidence=0.6), source="pravo", group="legal", hours=4)],
        [c],
        POLICY,
    )[1][c.cluster_id]
    assert official.official and official.confidence > c.confidence
    assert pending_change(official, 0.5) == Change("update", "official")


def test_low_confidence_waits_until_another_source_confirms():
    (c,) = assign([mention("e1", ev("termination", "RU", "FR", confidence=0.4))], [], POLICY)[1].values()
    assert pending_change(c, 0.5) is None
    confirmed = assign(
        [mention("e2", ev("termination", "RU", "FR", confidence=0.4), source="ria", hours=1)], [c], POLICY
    )[1][c.cluster_id]
    assert pending_change(confirmed, 0.5) == Change("event", "new")


def _left(actor: str, code: str, instrument: str | None, text: str = "") -> Event:
    kind = "multilateral" if instrument else "bilateral"
    return Event(
        family="termination",
        type="withdrawal",
        actor=actor,
        counterparts=(code,),
        domain="other",
        evidence="…",
        span=(0, 1),
        confidence=0.8,
        rule="r",
        instrument=Instrument(text, instrument, kind),
    )


def test_two_instruments_left_on_the_same_day_are_two_clusters():
    """Two Council of Europe conventions: same actor, same counterpart code, two treaties, two events."""
    ms = [
        mention("e1", _left("RU", "CoE", "CPT_CONVENTION"), source="tass"),
        mention("e2", _left("RU", "CoE", "CORRUPTION_CONVENTION"), source="tass", hours=1),
        mention("e3", _left("RU", "CoE", "CPT_CONVENTION"), source="ria", hours=2),
    ]
    assignments, touched = assign(ms, [], POLICY)
    assert len(touched) == 2
    by_event = {a.mention.event_id: a.cluster_id for a in assignments}
    assert by_event["e1"] == by_event["e3"] != by_event["e2"]
    assert sorted(c.instrument_id for c in touched.values()) == ["CORRUPTION_CONVENTION", "CPT_CONVENTION"]


def test_a_mention_without_a_registry_instrument_joins_and_the_cluster_learns_the_id():
    ms = [
        mention("e1", _left("RU", "CoE", None, "the convention")),
        mention(
            "e2", _left("RU", "CoE", "CPT_CONVENTION", "the European Convention for the Prevention of Torture"), hours=3
        ),
    ]
    _, touched = assign(ms, [], POLICY)
    (c,) = touched.values()
    assert (c.instrument_id, c.instrument_text, c.instrument_kind) == (
        "CPT_CONVENTION",
        "the European Convention for the Prevention of Torture",
        "multilateral",
    )
