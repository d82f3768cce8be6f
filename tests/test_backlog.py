"""Backlog re-extraction: chunks run in parallel (on a real Dask LocalCluster), events land once."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.backlog import chunked, extract_docs, read_backlog
from flows.store import db
from tests.support import REPO

EN = "Norway said on Monday it was terminating its defence agreement with Chile, citing repeated violations."
RU = "Польша расторгла соглашение с Японией о военном сотрудничестве, сообщил МИД."
FILLER = "The weather service warned of heavy rain across the northern provinces for the rest of the week."


def make_db(path: Path, n: int) -> list[tuple[str, str, str, str]]:
    """`n` stored items, one in three with an event sentence."""
    docs = []
    for i in range(n):
        text, lang = [(EN, "en"), (RU, "ru"), (FILLER, "en")][i % 3]
        docs.append((f"item-{i:04d}", f"Story {i}", text, lang))
    with db.connect(path) as con:
        now = db.utcnow()
        db.insert_rows(
            con,
            "items",
            ["item_id", "source_id", "url", "title", "text", "lang", "content_hash", "first_seen_at", "fetched_at"],
            [(d[0], "s", f"http://x.invalid/{d[0]}", d[1], d[2], d[3], "h", now, now) for d in docs],
        )
    return docs


def count(path: Path, sql: str) -> int:
    with db.connect(path, read_only=True) as con:
        return con.execute(sql).fetchone()[0]


@pytest.mark.parametrize(("n", "size", "expected"), [(0, 5, []), (5, 5, [5]), (11, 5, [5, 5, 1]), (3, 0, [1, 1, 1])])
def test_chunked_covers_every_doc_once(n, size, expected):
    docs = [(str(i), "", "", None) for i in range(n)]
    parts = list(chunked(docs, size))
    assert [len(p) for p in parts] == expected
    assert [d for p in parts for d in p] == docs


def test_read_backlog_can_skip_items_that_already_have_events(tmp_path):
    path = tmp_path / "tw.duckdb"
    docs = make_db(path, 6)
    events = extract_docs(docs, str(REPO / "config"))
    with db.connect(path) as con:
        from flows.store import storage

        storage.insert_events(con, events[:1])
    assert len(read_backlog(path)) == 6
    assert events[0].item_id not in {d[0] for d in read_backlog(path, only_without_events=True)}


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_backlog_on_a_dask_local_cluster_matches_serial_extraction(tmp_path):
    pytest.importorskip("prefect_dask", reason="the dask extra is not installed")
    from flows.backlog import dask_runner, extract_backlog

    path = tmp_path / "tw.duckdb"
    docs = make_db(path, 30)
    serial = {e.event_id for e in extract_docs(docs, str(REPO / "config"))}
    assert serial  # the fixture must produce events, or the comparison proves nothing

    # threads, not processes: worker processes would each need their own Prefect API (see README)
    runner = dask_runner(workers=2, processes=False)
    report = extract_backlog.with_options(task_runner=runner)(
        db_path=str(path), config_dir=str(REPO / "config"), chunk_size=4
    )

    assert report.items == 30 and report.chunks == 8
    assert report.workers and all(w.startswith(("tcp://", "inproc://")) for w in report.workers), report.workers
    assert report.new_events == len(serial)
    with db.connect(path, read_only=True) as con:
        stored = {r[0] for r in con.execute("SELECT event_id FROM events").fetchall()}
    assert stored == serial

    again = extract_backlog(db_path=str(path), config_dir=str(REPO / "config"), chunk_size=10)
    assert again.events == len(serial) and again.new_events == 0  # idempotent
    assert again.workers == {"local"}
