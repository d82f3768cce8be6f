"""`treatywatch report`: one self-contained HTML file, filtered in SQL, untrusted text kept inert."""

from __future__ import annotations

import base64
import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.alerts.flags import describe as flag_words
from flows.alerts.views import instrument_labels
from flows.cli.app import app
from flows.report.build import build_report
from flows.report.data import Scope
from flows.store import db
from parsers.extract.engine import load_extractor
from parsers.extract.highlight import marks
from tests.report.factory import make_db
from tests.support import REPO

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def extractor():
    return load_extractor(REPO / "config")


@pytest.fixture
def fixture_db(tmp_path: Path) -> Path:
    path = make_db(tmp_path / "tw.duckdb", 40, seed=3)
    with db.connect(path) as con:  # one title and one evidence an attacker wrote
        con.execute("UPDATE items SET title = $1 WHERE item_id = (SELECT min(item_id) FROM items)", [HOSTILE])
        con.execute(
            "UPDATE events SET evidence = $1 || evidence WHERE event_id = (SELECT min(event_id) FROM events)", [HOSTILE]
        )
        con.execute("UPDATE items SET url = 'javascript:alert(3)' WHERE item_id = (SELECT max(item_id) FROM items)")
    return path


def outside_scripts(html: str) -> str:
    """The page with every script body blanked: what a browser parses as markup."""
    return re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", html, flags=re.S)


def payload(html: str) -> dict:
    blob = re.search(r'<script type="application/octet-stream" id="report-data"[^>]*>([^<]*)</script>', html).group(1)
    return json.loads(gzip.decompress(base64.b64decode(blob)))


def test_report_is_self_contained_and_holds_every_cluster(fixture_db, tmp_path, extractor):
    out = tmp_path / "r.html"
    got = build_report(
        fixture_db,
        out,
        Scope(),
        extractor=extractor,
        cache_dir=tmp_path / "cache",
        now=NOW,
        labels=instrument_labels(REPO / "config"),
    )
    html = out.read_text(encoding="utf-8")
    assert got["clusters"] == 40 and got["bytes"] == len(html.encode())
    data = payload(html)
    assert len(data["clusters"]) == 40
    assert sum(len(c["m"]) for c in data["clusters"]) == got["mentions"]
    # nothing is loaded from anywhere: no src/href to a network resource, a CSP that forbids connections
    markup = outside_scripts(html)
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", markup)
    assert markup.count("<script") == 5  # data, specs, runs, our script, the Vega bundle
    assert "connect-src 'none'" in html
    assert "vegaEmbed" in html  # the charting library is inlined, not fetched
    exits = [c for c in data["clusters"] if c["t"] == "withdrawal"]
    assert exits and all(c["in"] == "the CFE Treaty (multilateral)" for c in exits)  # the instrument, named


def test_untrusted_text_never_becomes_markup(fixture_db, tmp_path, extractor):
    out = tmp_path / "r.html"
    build_report(fixture_db, out, Scope(), extractor=extractor, cache_dir=tmp_path / "cache", now=NOW)
    html = out.read_text(encoding="utf-8")
    markup = outside_scripts(html)
    assert "alert(" not in markup and "onerror" not in markup and markup.count("<script") == 5
    assert "alert(1)" not in html  # the hostile text exists only inside the compressed JSON data
    data = payload(html)
    mentions = [m for c in data["clusters"] for m in c["m"]]
    assert any(m["ti"] == HOSTILE for m in mentions)  # kept verbatim as data, shown with textContent
    assert any(m["e"].startswith(HOSTILE) for m in mentions)
    assert not any(m.get("u", "").startswith("javascript:") for m in mentions)
    assert all(m["u"].startswith("https://") for m in mentions if "u" in m)


def test_scope_filters_in_sql(fixture_db, tmp_path, extractor):
    with db.connect(fixture_db, read_only=True) as con:
        ru = con.execute("SELECT count(*) FROM clusters WHERE list_contains(parties, 'RU')").fetchone()[0]
        susp = con.execute("SELECT count(*) FROM clusters WHERE type = 'suspension'").fetchone()[0]
        late = con.execute("SELECT count(*) FROM clusters WHERE last_seen_at >= TIMESTAMPTZ '2026-03-01'").fetchone()[0]
    for scope, want in (
        (Scope(country="ru"), ru),
        (Scope(type="suspension"), susp),
        (Scope(since=datetime(2026, 3, 1, tzinfo=UTC)), late),
    ):
        out = tmp_path / "r.html"
        got = build_report(fixture_db, out, scope, extractor=extractor, cache_dir=tmp_path / "cache", now=NOW)
        assert got["clusters"] == want and len(payload(out.read_text(encoding="utf-8"))["clusters"]) == want
    assert 0 < ru < 40 and 0 < susp < 40 and 0 < late < 40


def test_report_command(fixture_db, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--db",
            str(fixture_db),
            "--out",
            str(out),
            "--since",
            "2026-02-01",
            "--config-dir",
            str(REPO / "config"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and "clusters" in result.output
    bad = CliRunner().invoke(app, ["report", "--db", str(fixture_db), "--since", "last tuesday"])
    assert bad.exit_code == 2 and "--since" in bad.output and "Traceback" not in bad.output


def test_evidence_highlights_come_from_the_rules(extractor):
    text = "Russia said it would terminate its military cooperation agreement with Poland."
    found = {(text[m.start : m.end], m.kind) for m in marks(extractor, text, "en")}
    assert ("Russia", "party") in found and ("Poland", "party") in found
    assert any(kind == "trigger" and "terminate" in word for word, kind in found)
    assert marks(extractor, "The weather was mild on Tuesday.", "en") == []


def test_report_flags_are_the_alerts_plain_words(fixture_db, tmp_path, extractor):
    out = tmp_path / "r.html"
    build_report(fixture_db, out, Scope(), extractor=extractor, cache_dir=tmp_path / "cache", now=NOW)
    flagged = [m["fl"] for c in payload(out.read_text(encoding="utf-8"))["clusters"] for m in c["m"] if "fl" in m]
    assert flagged and all(f == flag_words(["claimed_count_mismatch:10!=11"], str) for f in flagged)
    assert flagged[0] == ["The text says ten states but names 11."]
    assert flag_words(["background"], str) == [
        "The event is dated well before publication: likely background, not news."
    ]


def test_chart_specs_file_is_what_altair_builds():
    """flows/report/templates/charts.vl.json is read at run time; altair_charts.py is its source."""
    from flows.report import charts
    from tests.report import altair_charts

    assert charts.specs() == altair_charts.specs()
