"""Operator controls (`treatywatch sources --enable/--disable`) and health thresholds from the
environment: real DuckDB files, the real CLI, real Prefect flows over a real HTTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect import flow
from pytest_httpserver import HTTPServer
from rich.console import Console
from typer.testing import CliRunner

from flows.cli.app import app
from flows.settings import SettingsError, load_settings
from flows.store import db, storage
from flows.store import health as store_health
from flows.store.health import HealthUpdate
from parsers.models import Source
from parsers.policy import health
from parsers.policy.health import SourceHealth
from tests.store.test_runlock import held  # noqa: F401 - the fixture: another process holding the run lock
from tests.support import FIXTURES, REPO, db_rows

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
RSS = "application/rss+xml; charset=utf-8"

# starting health of a source (state, score, next attempt): what an operator may want to override
BACKING_OFF = ("failing", 4.0, NOW + timedelta(hours=2))
AUTO_DISABLED = ("disabled", 11.0, NOW + DAY)
BY_HAND = ("disabled_by_hand", 1.0, None)
OK = ("ok", 0.0, None)


def write_sources(tmp: Path, urls: dict[str, str], off: tuple[str, ...] = ()) -> Path:
    """A sources file; full_text never, so nothing but the listed URLs is fetched."""
    lines = [
        f'  - {{id: {sid}, kind: rss, url: "{url}", full_text: never, enabled: {str(sid not in off).lower()}}}\n'
        for sid, url in urls.items()
    ]
    path = tmp / "sources.yaml"
    path.write_text("sources:\n" + "".join(lines), encoding="utf-8")
    return path


def seed_health(path: Path, states: dict[str, tuple[str, float, datetime | None]], urls: dict[str, str]) -> None:
    """Store sources with the given health, as a run would have left them (failure counter = score)."""
    healths = [
        SourceHealth(sid, state, score, when, 2, NOW - 30 * DAY, int(score))
        for sid, (state, score, when) in states.items()
    ]
    fails = [
        storage.FetchRecord(sid, urls[sid], NOW, 0, 1, 0, 0, 0, "connect", "refused")
        for sid, (_, score, _) in states.items()
        for _ in range(int(score))
    ]
    run = storage.RunRecord(
        run_id="seeded",
        started_at=NOW,
        fetches=fails,
        sources=[Source(sid, "rss", urls[sid]) for sid in states],
        health=HealthUpdate(healths, [], NOW),
    )
    with db.connect(path) as con:
        storage.write_run(con, run)


def cli(*args: str) -> object:
    return CliRunner().invoke(app, ["sources", *args], env={"COLUMNS": "200", "TREATYWATCH_RUN_LOCK_WAIT": "0.2"})


def health_of(path: Path, sid: str) -> tuple:
    return db_rows(
        path,
        "SELECT h.state, h.score, h.next_attempt_at, s.consecutive_failures FROM source_health h"
        f" JOIN sources s USING (source_id) WHERE source_id = '{sid}'",
    )[0]


def hand_events(path: Path) -> list[tuple]:
    return db_rows(path, "SELECT source_id, kind, message, run_id FROM source_health_events ORDER BY created_at")


@pytest.mark.parametrize(
    "start", [BACKING_OFF, AUTO_DISABLED, BY_HAND, OK], ids=["backing-off", "auto-disabled", "by-hand", "ok"]
)
def test_enable_resets_health_and_records_it_was_by_hand(tmp_path: Path, start: tuple) -> None:
    path, urls = tmp_path / "tw.duckdb", {"s": "https://s.example/f"}
    seed_health(path, {"s": start}, urls)
    result = cli("--enable", "s", "--sources", str(write_sources(tmp_path, urls)), "--db", str(path))
    assert result.exit_code == 0, result.output
    assert "enabled by hand" in result.output
    assert health_of(path, "s") == ("ok", 0.0, None, 0)
    [(sid, kind, message, run_id)] = hand_events(path)
    assert (sid, kind, run_id) == ("s", "enabled", None) and "by hand" in message and f"was {start[0]}" in message


@pytest.mark.parametrize("start", [OK, BACKING_OFF, AUTO_DISABLED], ids=["ok", "backing-off", "auto-disabled"])
def test_disable_by_hand_is_told_apart_from_auto_disable(tmp_path: Path, start: tuple) -> None:
    path, urls = tmp_path / "tw.duckdb", {"s": "https://s.example/f"}
    seed_health(path, {"s": start}, urls)
    cfg = write_sources(tmp_path, urls)
    result = cli("--disable", "s", "--sources", str(cfg), "--db", str(path))
    assert result.exit_code == 0, result.output
    state, score, next_attempt, _ = health_of(path, "s")
    assert (state, score, next_attempt) == ("disabled_by_hand", start[1], None)  # no daily probe scheduled
    [(_, kind, message, run_id)] = hand_events(path)
    assert kind == "disabled" and "disabled by hand" in message and run_id is None
    table = cli("--sources", str(cfg), "--db", str(path))
    line = next(ln for ln in table.output.splitlines() if "│ s " in ln)
    assert "disabled_by_hand" in line and "after --enable" in line


def test_disable_a_configured_source_before_its_first_run(tmp_path: Path) -> None:
    path, cfg = (
        tmp_path / "tw.duckdb",
        write_sources(tmp_path, {"s": "https://s.example/f", "t": "https://t/f"}, off=("t",)),
    )
    result = cli("--disable", "s", "--disable", "t", "--sources", str(cfg), "--db", str(path))
    assert result.exit_code == 0, result.output
    assert "t is off in the sources file" in result.output
    with db.connect(path, read_only=True) as con:
        loaded = store_health.load_health(con)  # what the next run sees
    assert {sid: h.state for sid, h in loaded.items()} == {"s": "disabled_by_hand", "t": "disabled_by_hand"}
    assert not health.is_due(loaded["s"], NOW + 365 * DAY)


@pytest.mark.parametrize("with_db", [False, True])
@pytest.mark.parametrize("flag", ["--enable", "--disable"])
def test_unknown_ids_are_refused_before_anything_is_written(tmp_path: Path, with_db: bool, flag: str) -> None:
    path, urls = tmp_path / "tw.duckdb", {"s": "https://s.example/f"}
    if with_db:
        seed_health(path, {"s": BACKING_OFF}, urls)
    result = cli(flag, "s", flag, "nope", "--sources", str(write_sources(tmp_path, urls)), "--db", str(path))
    assert result.exit_code == 2
    assert "unknown source id(s): nope" in result.output and "known: s" in result.output
    if with_db:
        assert hand_events(path) == [] and health_of(path, "s")[0] == "failing"  # `s` untouched too
    else:
        assert not path.exists()


def test_enable_and_disable_together_is_an_error(tmp_path: Path) -> None:
    result = cli("--enable", "a", "--disable", "b", "--db", str(tmp_path / "tw.duckdb"))
    assert result.exit_code == 2 and "not both" in result.output


def test_hand_change_waits_for_a_running_run_then_says_so(held, tmp_path: Path) -> None:  # noqa: F811
    path, proc = held
    result = cli("--disable", "s", "--sources", str(write_sources(tmp_path, {"s": "https://s/f"})), "--db", str(path))
    assert result.exit_code == 3 and f"pid {proc.pid}" in result.output
    assert not path.exists()


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ({}, (3.0, 10.0, 2.0)),
        (
            {
                "TREATYWATCH_HEALTH_FAILING_AT": "5",
                "TREATYWATCH_HEALTH_DISABLE_AT": "20.5",
                "TREATYWATCH_HEALTH_BACKOFF_AFTER": "0.5",
            },
            (5.0, 20.5, 0.5),
        ),
        ({"TREATYWATCH_HEALTH_DISABLE_AT": " 4 "}, (3.0, 4.0, 2.0)),
    ],
)
def test_health_thresholds_from_the_environment(env: dict[str, str], value: tuple) -> None:
    s = load_settings(env=env)
    assert (s.health_failing_at, s.health_disable_at, s.health_backoff_after) == value


@pytest.mark.parametrize("name", ["FAILING_AT", "DISABLE_AT", "BACKOFF_AFTER"])
@pytest.mark.parametrize("raw", ["0", "-1", "three", "inf", "nan"])
def test_bad_health_thresholds_name_the_variable(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=f"TREATYWATCH_HEALTH_{name}='{raw}'"):
        load_settings(env={f"TREATYWATCH_HEALTH_{name}": raw})


def test_run_refuses_a_bad_threshold_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", "--db", str(tmp_path / "tw.duckdb")], env={"TREATYWATCH_HEALTH_FAILING_AT": "soon"}
    )
    assert result.exit_code == 2 and "TREATYWATCH_HEALTH_FAILING_AT='soon'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- through real Prefect flows ---------------------------------------------------------------


@flow(name="ingest-at", validate_parameters=False)
def ingest_at(sources_file: str, db_path: str, now: datetime):
    """The monitor's ingestion as of `now` (the monitor flow always runs at the current time)."""
    from flows.ingest.run import ingest
    from parsers.config.sources import load_sources

    settings = load_settings(
        sources=sources_file, db=db_path, config_dir=REPO / "config", env={"TREATYWATCH_FETCH_RETRIES": "0"}
    )
    return ingest(load_sources(settings.sources_file), settings, run_id=f"at-{now:%H%M%S}", now=now)


def serve_feeds(server: HTTPServer, paths: list[str], calls: dict[str, int]) -> None:
    body = (FIXTURES / "feeds" / "rss20.xml").read_bytes()
    for p in paths:

        def respond(request, p=p):
            from werkzeug import Response

            calls[p] = calls.get(p, 0) + 1
            return Response(body, content_type=RSS)

        server.expect_request(p).respond_with_handler(respond)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_hand_disabled_source_is_never_probed_until_enabled(tmp_path: Path, httpserver: HTTPServer) -> None:
    from flows.cli.summary import print_summary
    from flows.monitor import RunSummary

    calls: dict[str, int] = {}
    serve_feeds(httpserver, ["/auto.xml", "/hand.xml", "/later.xml"], calls)
    urls = {s: httpserver.url_for(f"/{s}.xml") for s in ("auto", "hand", "later")}
    path, cfg = tmp_path / "tw.duckdb", write_sources(tmp_path, urls)
    seed_health(path, {"auto": AUTO_DISABLED, "hand": AUTO_DISABLED, "later": ("failing", 4.0, NOW + 3 * DAY)}, urls)
    assert cli("--disable", "hand", "--sources", str(cfg), "--db", str(path)).exit_code == 0

    two_days_on = ingest_at(str(cfg), str(path), NOW + 2 * DAY)  # past the auto-disabled source's daily probe
    assert calls == {"/auto.xml": 1}  # the auto-disabled source was probed; the hand-disabled one was not
    assert {s.source.id: (s.state, s.next_attempt_at) for s in two_days_on.skipped} == {
        "hand": ("disabled_by_hand", None),
        "later": ("failing", NOW + 3 * DAY),
    }

    console = Console(record=True, width=200)
    print_summary(RunSummary("r" * 8, fetches=two_days_on.fetches, ingested=two_days_on), console)
    text = console.export_text()
    assert "not fetched this run (2)" in text
    assert "hand: disabled by hand; not fetched until `treatywatch sources --enable hand`" in text
    assert "later: failing, backing off until 2026-01-13 12:00Z" in text

    assert cli("--enable", "hand", "--sources", str(cfg), "--db", str(path)).exit_code == 0
    after = ingest_at(str(cfg), str(path), NOW + 2 * DAY + timedelta(minutes=1))
    assert calls["/hand.xml"] == 1 and [s.source.id for s in after.skipped] == ["later"]


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(
    ("env", "state", "backs_off"),
    [
        ({}, "new", False),
        ({"FAILING_AT": "1"}, "failing", False),
        ({"DISABLE_AT": "1"}, "disabled", True),
        ({"BACKOFF_AFTER": "1"}, "new", True),
    ],
    ids=["defaults", "failing-at", "disable-at", "backoff-after"],
)
def test_thresholds_from_the_environment_drive_the_monitor_flow(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, env: dict, state: str, backs_off: bool
) -> None:
    from flows.monitor import monitor

    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)  # one hard failure: 1 point
    for key, value in {"FETCH_RETRIES": "0", **{f"HEALTH_{k}": v for k, v in env.items()}}.items():
        monkeypatch.setenv(f"TREATYWATCH_{key}", value)
    monkeypatch.delenv("TREATYWATCH_APPRISE_URLS", raising=False)
    path = tmp_path / "tw.duckdb"
    monitor(
        sources=str(write_sources(tmp_path, {"gone": httpserver.url_for("/gone.xml")})),
        db_path=str(path),
        config_dir=str(REPO / "config"),
    )
    [(got_state, score, next_attempt)] = db_rows(path, "SELECT state, score, next_attempt_at FROM source_health")
    assert (got_state, score, next_attempt is not None) == (state, 1.0, backs_off)
    kinds = [k for (k,) in db_rows(path, "SELECT kind FROM source_health_events")]
    assert kinds == ([] if state == "new" else [state])
