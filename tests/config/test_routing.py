"""config/routing.yaml: the alert policy loads, validates with named fields, and filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parsers.config.routing import load_policy
from parsers.errors import ConfigError
from parsers.policy.routing import AlertPolicy, TagPolicy
from tests.support import REPO


def test_default_policy_file_loads():
    policy = load_policy(REPO / "config" / "routing.yaml")
    assert policy.tag("termination").mode == "immediate"
    assert policy.max_silence == timedelta(hours=6) and policy.max_attempts == 10


@pytest.mark.parametrize(
    "text,field",
    [
        ("min_confidence: 2", "min_confidence"),
        ("tags: {termination: {mode: hourly}}", "tags.termination.mode"),
        ("tags: {partnership: {domains: [sports]}}", "tags.partnership.domains"),
        ("tags: {partnership: {colour: red}}", "tags.partnership.colour"),
        ("delivery: {backoff_seconds: []}", "delivery.backoff_seconds"),
        ("digest: {at_hour_utc: 25}", "digest.at_hour_utc"),
    ],
)
def test_errors_name_the_file_and_field(tmp_path, text, field):
    path = tmp_path / "routing.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"routing.yaml: field '{field}'"):
        load_policy(path)


@pytest.mark.parametrize(
    "tag,kwargs,ok",
    [
        (TagPolicy(), {"confidence": 0.6, "domain": "military", "parties": frozenset({"RU", "DE"})}, True),
        (TagPolicy(min_confidence=0.7), {"confidence": 0.6, "domain": "military", "parties": frozenset({"RU"})}, False),
        (
            TagPolicy(domains=frozenset({"economic"})),
            {"confidence": 0.9, "domain": "military", "parties": frozenset({"RU"})},
            False,
        ),
        (
            TagPolicy(watch=frozenset({"NO"})),
            {"confidence": 0.9, "domain": "military", "parties": frozenset({"RU", "NO"})},
            True,
        ),
        (
            TagPolicy(watch=frozenset({"US"})),
            {"confidence": 0.9, "domain": "military", "parties": frozenset({"RU", "NO"})},
            False,
        ),
    ],
)
def test_tag_filters(tag, kwargs, ok):
    assert tag.accepts(**kwargs) is ok


def test_digest_slots_and_backoff():
    p = AlertPolicy(digest_at_hour=7, digest_every=timedelta(hours=24), backoff=(60, 300))
    assert p.next_digest(datetime(2026, 11, 27, 6, 59, tzinfo=UTC)) == datetime(2026, 11, 27, 7, tzinfo=UTC)
    assert p.next_digest(datetime(2026, 11, 27, 7, 1, tzinfo=UTC)) == datetime(2026, 11, 28, 7, tzinfo=UTC)
    assert [p.retry_delay(n).total_seconds() for n in (1, 2, 3, 9)] == [60, 300, 300, 300]
