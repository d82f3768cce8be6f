"""Run artifacts for the Prefect UI: counts, failed sources, the new-events table, escaping."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from flows.artifacts import EVENTS_KEY, REPORT_KEY, SUMMARY_KEY, counts, event_rows, md_escape, summary_markdown
from tests.support import REPO

SEED_FEED = REPO / "seeds" / "russia-terminates-military-agreements.xml"


def fetch(source_id: str, error_kind: str | None = None, error: str | None = None):
    record = SimpleNamespace(ok=error_kind is None, error_kind=error_kind, error=error)
    return SimpleNamespace(source=SimpleNamespace(id=source_id), record=record)


def stored(item_id: str, evidence: str = "Norway ends its pact.", counterparts=("RU",)):
    event = SimpleNamespace(
        type="termination", actor="NO", counterparts=counterparts, confidence=0.876, evidence=evidence
    )
    return SimpleNamespace(event_id="e-" + item_id, item_id=item_id, event=event)


@dataclass
class Summary:
    run_id: str = "0123456789abcdef"
    fetches: list = field(default_factory=list)
    new_items: int = 0
    new_events: list = field(default_factory=list)
    alerts_queued: int = 0
    delivery: object = field(default_factory=lambda: SimpleNamespace(sent=2, failed=1, still_pending=1))
    skipped: str = ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain words", "plain words"),
        ("a | b", r"a \| b"),
        ("[click](http://evil.invalid)", r"\[click\]\(http://evil.invalid\)"),
        ("<script>x</script>", r"\<script\>x\</script\>"),
        ("line\nbreak\ttab", "line break tab"),
        (None, ""),
    ],
)
def test_md_escape_makes_feed_text_inert(raw, expected):
    assert md_escape(raw) == expected


def test_md_escape_truncates():
    assert md_escape("x" * 50, limit=10) == "x" * 9 + "…"


def test_summary_counts_and_failed_sources():
    s = Summary(
        fetches=[fetch("a"), fetch("b", "timeout", "read timed out | after 10s")],
        new_items=4,
        new_events=[stored("i1")],
        alerts_queued=3,
    )
    assert counts(s) == {
        "sources_ok": 1,
        "sources_failed": 1,
        "new_items": 4,
        "new_events": 1,
        "alerts_queued": 3,
        "alerts_sent": 2,
        "alerts_failed": 1,
        "alerts_pending": 1,
    }
    md = summary_markdown(s)
    assert "# treatywatch run `01234567`" in md
    assert "| 1 | 1 | 4 | 1 | 2 | 1 | 1 |" in md
    assert r"**b**: timeout: read timed out \| after 10s" in md


def test_sources_held_back_and_failed_pages_are_listed():
    held = SimpleNamespace(source=SimpleNamespace(id="nato"), why="auto-disabled; next probe 2026-11-28 09:00Z")
    page = SimpleNamespace(source_id="tass-en", error_kind="http_status", url="https://tass.example/a_b")
    s = Summary(fetches=[fetch("tass-en")])
    s.ingested = SimpleNamespace(skipped=[held], page_failures=[page])
    md = summary_markdown(s)
    assert "## Not fetched this run (source health)" in md and "**nato**: auto-disabled; next probe" in md
    assert "## Article pages that failed (1;" in md and r"tass-en: http\_status: https://tass.example/a\_b" in md
    assert "Not fetched" not in summary_markdown(Summary(fetches=[fetch("a")]))


def test_skipped_run_says_why():
    md = summary_markdown(Summary(skipped="another treatywatch run (pid 7) is using x"))
    assert md.startswith("# treatywatch run skipped") and "pid 7" in md


def test_event_rows_use_item_titles_and_escape_evidence():
    s = Summary(new_events=[stored("i1", evidence="See [here](http://x) | now", counterparts=("RU", "BY"))])
    rows = event_rows(s, titles={"i1": "Oslo *ends* pact"})
    assert rows == [
        {
            "type": "termination",
            "actor": "NO",
            "counterparts": "RU, BY",
            "instrument": "",
            "confidence": 0.88,
            "evidence": r"See \[here\]\(http://x\) \| now",
            "item": r"Oslo \*ends\* pact",
        }
    ]


def test_event_rows_name_the_instrument():
    from parsers.models import Instrument

    withdrawal = stored("i1", counterparts=("OPEN_SKIES",))
    withdrawal.event.instrument = Instrument("the Treaty on Open Skies", "OPEN_SKIES", "multilateral")
    (row,) = event_rows(Summary(new_events=[withdrawal]), titles={})
    assert row["instrument"] == r"the Treaty on Open Skies \(multilateral, OPEN\_SKIES\)"


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_monitor_run_publishes_its_artifacts_and_the_report(tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from flows.monitor import monitor

    monkeypatch.delenv("TREATYWATCH_APPRISE_URLS", raising=False)
    monkeypatch.delenv("TREATYWATCH_REPORT", raising=False)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: seed, kind: rss, url: "{SEED_FEED}", lang: en, group: seed, full_text: never}}\n',
        encoding="utf-8",
    )
    alerts = tmp_path / "alerts.yml"
    alerts.write_text("version: 1\nurls: []\n", encoding="utf-8")
    state = monitor(
        sources=str(sources),
        alerts=str(alerts),
        db_path=str(tmp_path / "tw.duckdb"),
        config_dir=str(REPO / "config"),
        return_state=True,
    )
    summary = state.result()

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    by_key = {a.key: a for a in arts}
    assert set(by_key) == {SUMMARY_KEY, EVENTS_KEY, REPORT_KEY}
    report = tmp_path / "report.html"  # by default beside the database, rewritten by every run
    assert report.as_uri() in by_key[REPORT_KEY].data and "3 clusters" in by_key[REPORT_KEY].data
    assert report.stat().st_size > 100_000
    assert f"| 1 | 0 | 1 | {len(summary.new_events)} |" in by_key[SUMMARY_KEY].data
    table = by_key[EVENTS_KEY].data
    assert len(summary.new_events) == 3 and all(e.event.type in str(table) for e in summary.new_events)
    assert "Russia Terminates Military Agreements" in str(table)
