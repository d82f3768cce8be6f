"""parsers.policy.health: weighted failure score, backoff, auto-disable and transitions, stored with the run."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from flows.ingest.fetch import HostLimiter, host_of
from flows.store import db, storage
from flows.store import health as store_health
from flows.store.health import HealthUpdate
from parsers.policy import health
from parsers.policy.backoff import backoff_delay
from parsers.policy.health import HealthPolicy, Outcome, SourceHealth

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
POLICY = HealthPolicy(
    failing_at=3.0,
    disable_at=6.0,
    backoff_after=2.0,
    backoff_base_s=60,
    backoff_cap_s=600,
    disabled_probe_s=86400,
    jitter=0.0,
)
DEAD = Outcome("connect")
FORBIDDEN = Outcome("http_status", 403)


def step(h: SourceHealth, outcome: Outcome, run: str = "r") -> tuple[SourceHealth, list[health.HealthEvent]]:
    return health.assess(h, outcome, now=NOW, run_id=run, policy=POLICY, rng=random.Random(1))


@pytest.mark.parametrize(
    ("kind", "status", "weight"),
    [
        (None, 200, 0.0),
        ("connect", 0, 1.0),
        ("timeout", 0, 1.0),
        ("http_status", 500, 1.0),
        ("http_status", 404, 1.0),
        ("too_large", 200, 1.0),
        ("redirects", 302, 1.0),
        ("internal", 0, 1.0),
        ("http_status", 403, 0.5),
        ("http_status", 429, 0.5),
        ("not_a_feed", 200, 0.5),
        ("parse", 200, 0.5),
        ("empty", 200, 0.5),
    ],
)
def test_failure_weights(kind: str | None, status: int, weight: float) -> None:
    assert health.failure_weight(kind, status) == weight


def test_hard_failures_go_failing_then_disabled_with_one_event_each() -> None:
    h = SourceHealth("s", state="ok", first_success_at=NOW)
    kinds = []
    for _ in range(7):
        h, events = step(h, DEAD)
        kinds.append([e.kind for e in events])
    assert kinds == [[], [], ["failing"], [], [], ["disabled"], []]
    assert h.state == "disabled" and h.score == 7 and h.consecutive_failures == 7
    assert h.next_attempt_at == NOW + timedelta(seconds=86400)  # one probe a day


def test_soft_failures_count_half() -> None:
    h = SourceHealth("s", state="ok")
    states = []
    for _ in range(6):
        h, _ = step(h, FORBIDDEN)
        states.append(h.state)
    assert states == ["ok", "ok", "ok", "ok", "ok", "failing"] and h.score == 3.0


def test_backoff_starts_past_threshold_and_grows() -> None:
    h = SourceHealth("s", state="ok")
    h, _ = step(h, DEAD)
    assert h.next_attempt_at is None  # one failure: try again next run
    h, _ = step(h, DEAD)
    assert h.next_attempt_at == NOW + timedelta(seconds=120)  # 60 * 2^(2-1)
    h, _ = step(h, DEAD)
    assert h.next_attempt_at == NOW + timedelta(seconds=240)
    assert not health.is_due(h, NOW) and health.is_due(h, NOW + timedelta(seconds=240))


def test_retry_after_is_honoured_even_on_the_first_failure() -> None:
    h, _ = step(SourceHealth("s", state="ok"), Outcome("http_status", 429, retry_after=900))
    assert h.next_attempt_at == NOW + timedelta(seconds=900) and h.state == "ok"


def test_success_recovers_resets_and_records_first_success() -> None:
    failing = SourceHealth("s", state="failing", score=4.0, consecutive_failures=4, last_items=5, next_attempt_at=NOW)
    h, events = step(failing, Outcome(None, 200, items=7))
    assert (h.state, h.score, h.consecutive_failures, h.next_attempt_at, h.last_items) == ("ok", 0.0, 0, None, 7)
    assert [e.kind for e in events] == ["recovered"] and "recovered" in events[0].message
    assert h.first_success_at == NOW and not h.first_run
    unchanged, _ = step(h, Outcome(None, 304, items=None))
    assert unchanged.last_items == 7  # a 304 does not forget how many entries the feed had


def test_new_source_stays_new_until_its_first_success() -> None:
    h, events = step(SourceHealth("s"), DEAD)
    assert h.state == "new" and h.first_run and events == []


@pytest.mark.parametrize(
    ("last", "items", "empty"), [(5, 0, True), (0, 0, False), (None, 0, False), (5, 3, False), (5, None, False)]
)
def test_went_empty(last: int | None, items: int | None, empty: bool) -> None:
    assert health.went_empty(SourceHealth("s", last_items=last), items) is empty


@pytest.mark.parametrize("attempt", [1, 2, 3, 8])
def test_backoff_delay_jitter_bounds_and_retry_after(attempt: int) -> None:
    raw = min(3600, 10 * 2 ** (attempt - 1))
    for seed in range(20):
        d = backoff_delay(attempt, base=10, cap=3600, jitter=0.25, rng=random.Random(seed))
        assert raw * 0.75 <= d <= raw * 1.25
    assert backoff_delay(attempt, base=10, cap=3600, retry_after=99999) == 99999


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://a.example/x", "a.example"),
        ("https://A.example:8443/", "a.example:8443"),
        ("seeds/x.xml", ""),
        ("file:///etc/passwd", ""),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


def test_host_limiter_bounds_concurrency_per_host() -> None:
    import threading

    limiter, inside, peak, lock = HostLimiter(per_host=2), [0], [0], threading.Lock()
    release = threading.Event()

    def work() -> None:
        with limiter.slot("http://one.example/feed"):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            release.wait(5)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    from tests.support import wait_for

    wait_for(lambda: inside[0] == 2)
    with limiter.slot("http://other.example/"):  # another host is not blocked
        assert inside[0] == 2
    release.set()
    for t in threads:
        t.join(5)
    assert peak[0] == 2


def test_rows_are_written_with_the_run_and_transitions_read_back(tmp_path) -> None:
    path = tmp_path / "h.duckdb"
    h, events = step(SourceHealth("s", state="ok", score=2.0, consecutive_failures=2), DEAD, run="run-1")
    run = storage.RunRecord(run_id="run-1", started_at=NOW, health=HealthUpdate([h], events, NOW))
    with db.connect(path) as con:
        storage.write_run(con, run)
        storage.write_run(
            con, storage.RunRecord(run_id="run-2", started_at=NOW, health=HealthUpdate([h], events, NOW))
        )  # idempotent
        got = store_health.health_transitions(con, run_id="run-1")
        assert [(e.source_id, e.kind, e.score) for e in got] == [("s", "failing", 3.0)]
        assert store_health.health_transitions(con, since=NOW + timedelta(seconds=1)) == []
        assert con.execute("SELECT state, score FROM source_health").fetchall() == [("failing", 3.0)]


def test_sources_command_prints_every_source_with_its_health(tmp_path) -> None:
    from typer.testing import CliRunner

    from flows.cli.app import app
    from parsers.models import Source

    path, cfg = tmp_path / "h.duckdb", tmp_path / "sources.yaml"
    cfg.write_text(
        "sources:\n  - {id: alive, kind: rss, url: 'https://a.example/f'}\n"
        "  - {id: dead, kind: rss, url: 'https://d.example/f'}\n"
        "  - {id: fresh, kind: rss, url: 'https://f.example/f', enabled: false}\n"
    )
    before = CliRunner().invoke(app, ["sources", "--sources", str(cfg), "--db", str(path)], env={"COLUMNS": "200"})
    assert before.exit_code == 0 and before.output.count(" new ") >= 3  # no database yet: all new
    dead, _ = step(SourceHealth("dead", state="failing", score=5.0, consecutive_failures=5), DEAD)
    run = storage.RunRecord(
        run_id="r",
        started_at=NOW,
        health=HealthUpdate([dead], [], NOW),
        sources=[Source("dead", "rss", "https://d.example/f"), Source("gone", "rss", "https://g/")],
        fetches=[storage.FetchRecord("dead", "https://d.example/f", NOW, 0, 5, 0, 0, 0, "connect", "refused")],
    )
    with db.connect(path) as con:
        storage.write_run(con, run)
    out = CliRunner().invoke(app, ["sources", "--sources", str(cfg), "--db", str(path)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    lines = {line.split("│")[1].strip(): line for line in out.output.splitlines() if line.count("│") > 5}
    assert set(lines) == {"alive", "dead", "fresh", "gone"}
    assert "disabled" in lines["dead"] and "1 (6)" in lines["dead"] and "connect: refused" in lines["dead"]
    assert "2026-01-11 12:00" in lines["dead"]  # next attempt: the daily probe of a disabled source
    assert "off in config" in lines["fresh"] and "removed" in lines["gone"]
