"""The stable command-line contracts other tools depend on: `extract` and `query`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli.app import app
from flows.store import db, storage
from tests.support import REPO

SEED = REPO / "seeds" / "russia-terminates-military-agreements.txt"
GOLDEN = json.loads((REPO / "seeds" / "russia-terminates-military-agreements.golden.json").read_text())
FIELDS = ("family", "type", "actor", "counterparts", "domain", "evidence", "span", "confidence", "rule", "flags")


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def test_extract_file_prints_the_seed_events_as_json():
    result = invoke("extract", str(SEED), "--config-dir", str(REPO / "config"))
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert [(e["type"], e["actor"], sorted(e["counterparts"])) for e in events] == [
        (g["type"], g["actor"], sorted(g["counterparts"])) for g in GOLDEN["events"]
    ]
    assert all(set(FIELDS) <= set(e) for e in events)
    text = SEED.read_text(encoding="utf-8")
    assert all(text[e["span"][0] : e["span"][1]] == e["evidence"] for e in events)


def test_extract_jsonl_writes_one_line_per_input_in_order(tmp_path):
    lines = [
        {
            "id": "a",
            "text": "Norway has terminated its agreement on military cooperation with Russia, the ministry said.",
        },
        {"id": "b", "text": "The club signed a new sponsorship deal with a regional airline."},
        {
            "id": 7,
            "title": "Россия и Индия подписали соглашение о военном сотрудничестве",
            "text": "Соглашение подписали в Москве министры обороны двух стран.",
            "lang": "ru",
            "published": "2026-02-10T09:00:00Z",
        },
    ]
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines[:2])
        + "\n\n"
        + json.dumps(lines[2], ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    result = invoke("extract", "--jsonl", str(path), "--config-dir", str(REPO / "config"))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", 7]
    assert [(e["type"], e["actor"], e["counterparts"]) for e in out[0]["events"]] == [("termination", "NO", ["RU"])]
    assert out[1]["events"] == []
    assert {e["actor"] for e in out[2]["events"]} | {c for e in out[2]["events"] for c in e["counterparts"]} == {
        "RU",
        "IN",
    }


@pytest.mark.parametrize(
    "content,message",
    [
        ("{not json}\n", "line 1: not JSON"),
        ('{"id": 1}\n', "line 1: 'text' missing"),
        ('{"text": "x"}\n', "line 1: 'id' missing"),
        ('{"id": 1, "text": "x", "published": "yesterday"}\n', "bad 'published'"),
    ],
)
def test_extract_jsonl_errors_name_the_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = invoke("extract", "--jsonl", str(path), "--config-dir", str(REPO / "config"))
    assert result.exit_code == 2 and message in result.output


def test_extract_needs_exactly_one_input(tmp_path):
    assert invoke("extract").exit_code == 2
    assert invoke("extract", str(SEED), "--jsonl", str(SEED)).exit_code == 2


@pytest.fixture
def filled_db(tmp_path):
    path = tmp_path / "q.duckdb"
    with db.connect(path) as con:
        storage.write_run(con, storage.RunRecord(run_id="r1", started_at=db.utcnow()))
    return path


def test_query_reads_and_refuses_writes_with_a_clear_error(filled_db):
    ok = invoke("query", "SELECT count(*) AS runs FROM runs", "--db", str(filled_db), "--format", "json")
    assert ok.exit_code == 0 and json.loads(ok.stdout) == {"runs": 1}
    refused = invoke("query", "DELETE FROM runs", "--db", str(filled_db))
    assert refused.exit_code == 2 and "read-only" in refused.output
    assert invoke("query", "SELECT 1", "--db", str(filled_db), "--format", "xml").exit_code == 2


def test_query_and_extract_read_the_same_environment_as_every_command(filled_db, tmp_path):
    """TREATYWATCH_DB and TREATYWATCH_CONFIG_DIR apply to `query` and `extract` too (one Settings)."""
    ok = CliRunner().invoke(
        app, ["query", "SELECT run_id FROM runs", "--format", "json"], env={"TREATYWATCH_DB": str(filled_db)}
    )
    assert ok.exit_code == 0, ok.output
    assert [json.loads(line) for line in ok.stdout.splitlines()] == [{"run_id": "r1"}]
    empty = tmp_path / "empty-config"
    (empty / "rules").mkdir(parents=True)
    broken = CliRunner().invoke(app, ["extract", str(SEED)], env={"TREATYWATCH_CONFIG_DIR": str(empty)})
    assert broken.exit_code == 2 and str(empty) in broken.output
    seed = CliRunner().invoke(app, ["extract", str(SEED)], env={"TREATYWATCH_CONFIG_DIR": str(REPO / "config")})
    assert seed.exit_code == 0 and len(json.loads(seed.stdout)) == len(GOLDEN["events"])


def test_query_table_prints_cell_text_verbatim(filled_db):
    sql = "SELECT '[updated]' AS a, ':x: [bold]b[/bold]' AS b, '[/]' AS c"
    result = invoke("query", sql, "--db", str(filled_db))
    assert result.exit_code == 0, result.output
    assert "[updated]" in result.output and ":x: [bold]b[/bold]" in result.output and "[/]" in result.output
    assert "❌" not in result.output


def test_query_csv_uses_newline_line_endings(filled_db):
    result = invoke(
        "query", "SELECT 1 AS a, 'x,y' AS b UNION ALL SELECT 2, 'z'", "--db", str(filled_db), "--format", "csv"
    )
    assert result.exit_code == 0
    assert result.stdout_bytes == b'a,b\n1,"x,y"\n2,z\n'


WIDE = "SELECT " + ", ".join(f"'{c}-' || repeat('v', 30) || '-{c}' AS column_{c}" for c in "abcdefgh")


def test_query_few_wide_rows_print_one_record_per_block(filled_db):
    result = CliRunner().invoke(app, ["query", WIDE, "--db", str(filled_db)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "-[ record 1 ]" in result.output
    for c in "abcdefgh":  # every value whole, on its own line after its name
        assert f"column_{c} | {c}-{'v' * 30}-{c}" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_query_many_wide_rows_keep_every_column_legible(filled_db):
    sql = WIDE + " FROM range(8)"
    result = CliRunner().invoke(app, ["query", sql, "--db", str(filled_db)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "column_a" in line)
    assert all(f"column_{c}" in header for c in "abcdefgh")  # no header squeezed to "…"
    assert result.output.count("a-vvvvv") == 8 and "8 row(s)" in result.output


def test_extract_dash_reads_stdin():
    result = invoke("extract", "-", "--config-dir", str(REPO / "config"), input=SEED.read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.output
    from_file = json.loads(invoke("extract", str(SEED), "--config-dir", str(REPO / "config")).stdout)
    events = json.loads(result.stdout)
    assert [(e["type"], e["actor"], sorted(e["counterparts"])) for e in events] == [
        (g["type"], g["actor"], sorted(g["counterparts"])) for g in GOLDEN["events"]
    ]
    assert [e["span"] for e in events] == [e["span"] for e in from_file]
