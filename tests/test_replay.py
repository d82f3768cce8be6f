"""`treatywatch replay`: re-extract stored items, diff by event id, write only on --apply (real DuckDB files)."""

from __future__ import annotations

import pathlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from rich.console import Console
from typer.testing import CliRunner

from flows import replay
from flows.cli.app import app
from flows.cli.dates import parse_when
from flows.store import db, storage
from parsers.extract.engine import extract_items, load_extractor
from parsers.models import Event, Item, Source, event_id
from parsers.policy.routing import AlertPolicy

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
SOURCE = Source(id="wire", kind="rss", url="http://127.0.0.1/feed.xml", lang="en")
OLD = datetime(2025, 1, 10, tzinfo=UTC)
NEW = datetime(2026, 2, 3, tzinfo=UTC)
SIGNING = Item(
    id="sign",
    source_id="wire",
    url="http://127.0.0.1/1",
    lang="en",
    published=NEW,
    title="Chile and Peru sign defence cooperation agreement",
    text="LIMA — Chile and Peru signed a defence cooperation agreement on Monday, the ministries said.",
)
QUIET = Item(
    id="quiet",
    source_id="wire",
    url="http://127.0.0.1/2",
    lang="en",
    published=NEW,
    title="Markets rise",
    text="Markets in Lima closed higher on Tuesday.",
)
OLD_EXIT = Item(
    id="old-exit",
    source_id="wire",
    url="http://127.0.0.1/3",
    lang="en",
    published=OLD,
    title="Peru leaves the Andean Community",
    text="LIMA — Peru formally left the Andean Community on Sunday, the foreign ministry said.",
)
# a stale event the old rules once stored for the quiet item: the current rules no longer produce it
STALE = Event(
    family="termination",
    type="termination",
    actor="PE",
    counterparts=("CL",),
    domain="other",
    evidence="Markets in Lima closed higher on Tuesday.",
    span=(15, 57),
    confidence=0.6,
    rule="en.old",
)


def _build(path: pathlib.Path, stored_events: list[storage.StoredEvent]) -> None:
    items = [SIGNING, QUIET, OLD_EXIT]
    run = storage.RunRecord(
        run_id="r1",
        started_at=NEW,
        sources=[SOURCE],
        items=[storage.StoredItem(i, i.content_hash) for i in items],
        events=stored_events,
    )
    with db.connect(path) as con:
        storage.write_run(con, run)


@pytest.fixture()
def dbfile(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "tw.duckdb"
    _build(path, [storage.StoredEvent(event_id(QUIET.id, STALE), QUIET.id, STALE)])
    return path


def _event_ids(path: pathlib.Path) -> set[str]:
    with db.connect(path, read_only=True) as con:
        return {r[0] for r in con.execute("SELECT event_id FROM events").fetchall()}


def test_dry_run_reports_appearing_and_disappearing_events_and_writes_nothing(dbfile: pathlib.Path) -> None:
    before = _event_ids(dbfile)
    result = replay.compute(dbfile, load_extractor(CONFIG))
    assert result.items == 3
    assert sorted((e.item_id, e.event.type, e.event.actor) for e in result.appeared) == [
        ("old-exit", "withdrawal", "PE"),
        ("sign", "partnership_signed", "CL"),
    ]
    assert [(r.item_id, r.rule) for r in result.disappeared] == [("quiet", "en.old")]
    assert _event_ids(dbfile) == before


def test_since_limits_the_items(dbfile: pathlib.Path) -> None:
    result = replay.compute(dbfile, load_extractor(CONFIG), since=datetime(2026, 1, 1, tzinfo=UTC))
    assert result.items == 2
    assert [e.item_id for e in result.appeared] == ["sign"]


def test_apply_writes_appeared_events_keeps_disappeared_and_is_idempotent(dbfile: pathlib.Path) -> None:
    result = replay.compute(dbfile, load_extractor(CONFIG))
    with db.connect(dbfile) as con:
        written = replay.apply(con, result)
    assert written == result.appeared
    ids = _event_ids(dbfile)
    assert {e.event_id for e in written} <= ids and event_id(QUIET.id, STALE) in ids
    again = replay.compute(dbfile, load_extractor(CONFIG))
    assert again.appeared == [] and again.unchanged == 2 and len(again.disappeared) == 1


def test_applied_events_are_what_the_next_run_must_alert(dbfile: pathlib.Path) -> None:
    result = replay.compute(dbfile, load_extractor(CONFIG))
    with db.connect(dbfile) as con:
        replay.apply(con, result)
        pending = storage.unplanned_events(con)
    got = {(p.event_id, p.event.type, p.event.actor, p.event.counterparts) for p in pending}
    want = {(e.event_id, e.event.type, e.event.actor, e.event.counterparts) for e in result.appeared}
    assert want <= got
    assert all(p.event.evidence and p.event.rule for p in pending)


def test_within_hook_runs_in_the_same_transaction(dbfile: pathlib.Path) -> None:
    result = replay.compute(dbfile, load_extractor(CONFIG))

    def planner(con) -> None:
        raise RuntimeError("planner failed")

    with db.connect(dbfile) as con, pytest.raises(RuntimeError):
        replay.apply(con, result, within=planner)
    assert not {e.event_id for e in result.appeared} & _event_ids(dbfile)


def test_alert_note_follows_the_routing_policy() -> None:
    sign = extract_items(load_extractor(CONFIG), [SIGNING])[0]
    policy = AlertPolicy()
    assert replay.alert_note(sign, policy).startswith("partnership")
    weak = replace(sign, event=replace(sign.event, confidence=0.3))
    assert replay.alert_note(weak, policy).startswith("none: confidence")


def test_print_diff_says_what_happens(dbfile: pathlib.Path) -> None:
    result = replay.compute(dbfile, load_extractor(CONFIG))
    console = Console(record=True, width=200)
    replay.print_diff(result, console, AlertPolicy(), applied=False)
    text = console.export_text()
    assert "appear: 2" in text and "disappear: 1" in text and "nothing written" in text


@pytest.mark.parametrize("apply_flag", [False, True])
def test_cli_replay(dbfile: pathlib.Path, apply_flag: bool) -> None:
    args = ["replay", "--db", str(dbfile), "--config-dir", str(CONFIG), "--since", "2026-01-01"]
    out = CliRunner().invoke(app, args + (["--apply"] if apply_flag else []))
    assert out.exit_code == 0, out.output
    assert "appear: 1" in out.output
    sign_id = next(e.event_id for e in extract_items(load_extractor(CONFIG), [SIGNING]))
    assert (sign_id in _event_ids(dbfile)) is apply_flag
    assert ("alerted by the next" in out.output) is apply_flag


def test_cli_rejects_a_bad_date(dbfile: pathlib.Path) -> None:
    out = CliRunner().invoke(app, ["replay", "--db", str(dbfile), "--since", "next tuesday"])
    assert out.exit_code == 2


def test_replay_streams_in_batches_and_caps_the_table(dbfile: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """Batches of one item give the same diff; the terminal shows `limit` changes, the file gets them all."""
    whole = replay.compute(dbfile, load_extractor(CONFIG))
    assert replay.compute(dbfile, load_extractor(CONFIG), batch=1) == whole
    out = tmp_path / "diff.csv"
    console = Console(record=True, width=200)
    summary = replay.replay(dbfile, CONFIG, None, None, False, console, limit=1, out=out, batch=1)
    assert summary.n_appeared == len(whole.appeared) and summary.n_disappeared == len(whole.disappeared)
    assert len(summary.appeared) <= 1 and len(summary.disappeared) <= 1  # kept for the table, per list
    changes = len(whole.appeared) + len(whole.disappeared)
    assert changes >= 2
    text = console.export_text()
    assert f"showing 1 of {changes} changes; all of them in {out}" in text
    assert sum(line.startswith(("+ appears  ", "- disappears  ")) for line in text.splitlines()) == 1
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted((r["change"], r["item"]) for r in rows) == sorted(
        [("appears", e.item_id) for e in whole.appeared] + [("disappears", r.item_id) for r in whole.disappeared]
    )


def test_replay_out_json_and_apply_in_batches(dbfile: pathlib.Path, tmp_path: pathlib.Path) -> None:
    import json

    whole = replay.compute(dbfile, load_extractor(CONFIG))
    out = tmp_path / "diff.json"
    replay.replay(dbfile, CONFIG, None, None, True, Console(record=True), limit=0, out=out, batch=1)
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert len(rows) == len(whole.appeared) + len(whole.disappeared)
    assert {e.event_id for e in whole.appeared} <= _event_ids(dbfile)  # written, batch by batch
    assert replay.compute(dbfile, load_extractor(CONFIG)).appeared == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yesterday", "2026-12-01T00:00:00+00:00"),
        ("today", "2026-12-02T00:00:00+00:00"),
        ("7d", "2026-11-25T15:30:00+00:00"),
        ("2w", "2026-11-18T15:30:00+00:00"),
        ("12h", "2026-12-02T03:30:00+00:00"),
        ("2026-01-31", "2026-01-31T00:00:00+00:00"),
        ("2026-01-31T08:00+02:00", "2026-01-31T08:00:00+02:00"),
    ],
)
def test_since_accepts_dates_days_and_ages(value: str, expected: str) -> None:
    from datetime import datetime

    now = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    assert parse_when(value, now).isoformat() == expected


def test_cli_says_what_since_expects(dbfile: pathlib.Path) -> None:
    out = CliRunner().invoke(app, ["replay", "--db", str(dbfile), "--since", "next tuesday"])
    assert out.exit_code == 2
    assert "--since 'next tuesday': expected an ISO date or time" in out.output and "7d, 2w" in out.output


def test_cli_output_fits_80_columns_when_piped(dbfile: pathlib.Path) -> None:
    out = CliRunner().invoke(app, ["replay", "--db", str(dbfile), "--config-dir", str(CONFIG)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert max(len(line) for line in lines) <= 100  # piped: 100 columns at most, never a squeezed 9-column table
    assert not any(ch in out.output for ch in "┃│┏")
    assert any(line.startswith("+ appears  ") for line in lines) and any(
        line.startswith("- disappears  ") for line in lines
    )
    assert any(line.strip().startswith("evidence:") for line in lines)


def test_print_diff_fits_an_80_column_terminal(dbfile: pathlib.Path) -> None:
    console = Console(record=True, width=80)
    replay.print_diff(replay.compute(dbfile, load_extractor(CONFIG)), console, AlertPolicy(), applied=False)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert sum(line.strip().startswith("rule:") for line in lines) == 3  # every change whole, one block each
