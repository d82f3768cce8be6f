"""Re-extract a large backlog of stored items in parallel (optionally on a Dask cluster), one writer.

New rules, a bigger gazetteer, or a bulk import: every stored item must go through the extractor
again. Extraction is CPU-bound pure Python, so threads do not help; `extract-backlog` cuts the
items into chunks, runs one Prefect task per chunk on the chosen task runner (a Dask cluster with
the `dask` extra: `pip install 'treatywatch[dask]'`), and writes every event through ONE batched
step at the end, because DuckDB has one writer. Backlog events are history: they are stored
(`INSERT OR IGNORE`, so known events stay as they are) but queue no alerts.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.settings import load_settings
from flows.store import db, storage
from parsers.models import ExtractionInput

Doc = tuple[str, str, str, str | None]  # item id, title, text, lang
DEFAULT_CHUNK = 250


@dataclass(slots=True)
class BacklogReport:
    items: int = 0
    chunks: int = 0
    events: int = 0
    new_events: int = 0
    workers: set[str] = field(default_factory=set)  # where chunks ran (Dask worker addresses, or "local")


def read_backlog(db_path: Path, *, only_without_events: bool = False, limit: int | None = None) -> list[Doc]:
    """The items to re-extract, read in one short read-only connection."""
    where = " WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.item_id = i.item_id)" if only_without_events else ""
    sql = f"SELECT item_id, coalesce(title, ''), coalesce(text, ''), lang FROM items i{where} ORDER BY item_id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    with db.connect(db_path, read_only=True) as con:
        return [tuple(r) for r in con.execute(sql).fetchall()]  # type: ignore[misc]


def chunked(docs: Sequence[Doc], size: int) -> Iterator[list[Doc]]:
    size = max(1, size)
    for i in range(0, len(docs), size):
        yield list(docs[i : i + size])


def _where() -> str:
    """The Dask worker this runs on, else "local" (the report shows the work was spread)."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


def extract_docs(docs: Sequence[Doc], config_dir: str) -> list[storage.StoredEvent]:
    """Pure extraction of a chunk; the extractor is built once per process (cached by config content)."""
    from flows.extractor_cache import load_cached_extractor
    from parsers.extract.engine import extract_events

    return extract_events(
        load_cached_extractor(Path(config_dir)),
        (ExtractionInput(text=text, title=title, lang=lang, id=item_id) for item_id, title, text, lang in docs),
    )


@task(name="extract-chunk", cache_policy=NO_CACHE)
def extract_chunk(docs_json: str, config_dir: str) -> tuple[str, list[storage.StoredEvent]]:
    """One chunk on whichever worker the task runner picks; returns where it ran and its events."""
    return _where(), extract_docs([tuple(d) for d in json.loads(docs_json)], config_dir)


def write_events(db_path: Path, events: list[storage.StoredEvent]) -> int:
    """The one writer, in the flow's process (a Dask worker may be on a host without the file):
    all events in one transaction; returns how many were new."""
    with db.connect(db_path) as con:
        return storage.store_events(con, events)


@flow(name="extract-backlog", validate_parameters=False)
def extract_backlog(
    db_path: str,
    config_dir: str = "config",
    chunk_size: int = DEFAULT_CHUNK,
    only_without_events: bool = False,
    limit: int | None = None,
) -> BacklogReport:
    """Read the backlog, extract chunks in parallel on the flow's task runner, write once."""
    docs = read_backlog(Path(db_path), only_without_events=only_without_events, limit=limit)
    config = str(Path(config_dir).resolve())
    # a chunk travels as one JSON string: Prefect walks list/tuple parameters item by item looking
    # for futures (seconds per 10k items), and Dask would pickle the same data anyway
    futures = [
        extract_chunk.submit(json.dumps(chunk, ensure_ascii=False), config) for chunk in chunked(docs, chunk_size)
    ]
    report = BacklogReport(items=len(docs), chunks=len(futures))
    events: list[storage.StoredEvent] = []
    for fut in futures:
        where, found = fut.result()
        report.workers.add(where)
        events += found
    report.events = len(events)
    report.new_events = write_events(Path(db_path), events)  # here, in the flow's process: the one writer
    return report


def dask_runner(address: str | None = None, workers: int = 2, processes: bool = True) -> Any:
    """A DaskTaskRunner on an existing scheduler (`address`) or on a LocalCluster of `workers`."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        from parsers.errors import TreatywatchError

        raise TreatywatchError("Dask needs the optional extra: pip install 'treatywatch[dask]'") from exc
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": processes,
            "dashboard_address": None,
        }
    )


def run_backlog(
    db_path: Path,
    config_dir: Path,
    *,
    dask: bool = False,
    address: str | None = None,
    workers: int = 2,
    chunk_size: int = DEFAULT_CHUNK,
    only_without_events: bool = False,
) -> BacklogReport:
    """The backlog flow on Dask (a cluster at `address`, or a LocalCluster) or on Prefect's thread pool."""
    flow_ = (
        extract_backlog.with_options(task_runner=dask_runner(address, workers)) if dask or address else extract_backlog
    )
    return flow_(
        db_path=str(db_path), config_dir=str(config_dir), chunk_size=chunk_size, only_without_events=only_without_events
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Re-extract stored items in parallel; events are written once.")
    ap.add_argument("--db", type=Path, help="DuckDB file (default: TREATYWATCH_DB, else data/treatywatch.duckdb)")
    ap.add_argument(
        "--config-dir", type=Path, help="rules and gazetteer (default: TREATYWATCH_CONFIG_DIR, else config)"
    )
    ap.add_argument("--dask", action="store_true", help="run on a Dask LocalCluster (needs the dask extra)")
    ap.add_argument("--address", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK)
    ap.add_argument("--only-without-events", action="store_true")
    args = ap.parse_args(argv)
    settings = load_settings(db=args.db, config_dir=args.config_dir)
    r = run_backlog(
        settings.db_path,
        settings.config_dir,
        dask=args.dask,
        address=args.address,
        workers=args.workers,
        chunk_size=args.chunk_size,
        only_without_events=args.only_without_events,
    )
    print(f"{r.items} items in {r.chunks} chunks on {len(r.workers)} worker(s): {r.events} events, {r.new_events} new")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
