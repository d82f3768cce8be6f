"""What the orchestration costs: the same work with and without Prefect's flow engine, plus floors.

usage: python bench/bench_prefect.py [--feeds 200] [--items 20]
The same generated feeds as bench_ingest.py (imported from it), served from 127.0.0.1:
- bare: fetch (httpx, thread pool, conditional GET) -> feedparser -> new-or-changed -> extract ->
  one DuckDB transaction, all with treatywatch's own functions, no Prefect;
- flow: the monitor flow (Prefect engine, tasks, health, alert planning) on the same feeds.
Both cold (empty DB, all 200) and warm (all 304). Also the parse floors on the same bodies:
bare feedparser and raw lxml (XPath over the items). Last line: RESULT {json} for bench_all.py.
"""

from __future__ import annotations

import argparse
import io
import json
import pathlib
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import feed, quiet_monitor, serve


def write_sources(work: pathlib.Path, port: int, feeds: int, name: str = "sources.yaml") -> pathlib.Path:
    path = work / name
    path.write_text(
        "sources:\n"
        + "".join(
            f'  - {{id: f{n}, kind: rss, url: "http://127.0.0.1:{port}/feed/{n}.xml", lang: en, full_text: never}}\n'
            for n in range(feeds)
        ),
        encoding="utf-8",
    )
    return path


def bare_run(sources_file: pathlib.Path, db_path: pathlib.Path, config_dir: pathlib.Path) -> int:
    """The monitor's work without the engine: returns the number of new items."""
    from flows.ingest.collect import FetchContext, collect_source
    from flows.ingest.fetch import HostLimiter, make_client
    from flows.ingest.run import new_or_changed, policy_of
    from flows.settings import load_settings
    from flows.store import db, storage
    from parsers.config.sources import load_sources
    from parsers.extract.engine import extract_items, load_extractor

    settings = load_settings(sources=sources_file, db=db_path, config_dir=config_dir, env={})
    sources = load_sources(sources_file)
    extractor = load_extractor(config_dir)
    with db.connect(db_path) as con:
        states = storage.load_source_states(con)
    policy = policy_of(settings)
    with make_client(policy) as client:
        ctx = FetchContext(client, policy, sources_file.parent, HostLimiter(settings.fetch_per_host), db.utcnow())
        with ThreadPoolExecutor(settings.fetch_workers) as pool:
            fetches = list(pool.map(lambda s: collect_source(s, states.get(s.id, storage.SourceState()), ctx), sources))
    fresh, _ = new_or_changed(fetches, db_path)
    feed_hash = {i.id: i.content_hash for i in fresh}
    run = storage.RunRecord(
        run_id=uuid.uuid4().hex,
        started_at=db.utcnow(),
        sources=sources,
        fetches=[f.record for f in fetches],
        items=[storage.StoredItem(i, feed_hash[i.id]) for i in fresh],
        events=extract_items(extractor, fresh),
    )
    with db.connect(db_path) as con:
        storage.write_run(con, run)
    return len(fresh)


def lxml_floor(bodies: list[bytes]) -> tuple[float, int]:
    from lxml import etree

    t0 = time.perf_counter()
    n = 0
    for body in bodies:
        root = etree.fromstring(body)
        for item in root.iterfind("channel/item"):
            _ = (
                item.findtext("title"),
                item.findtext("link"),
                item.findtext("guid"),
                item.findtext("pubDate"),
                item.findtext("description"),
            )
            n += 1
    return time.perf_counter() - t0, n


def feedparser_floor(bodies: list[bytes]) -> tuple[float, int]:
    import feedparser

    t0 = time.perf_counter()
    n = sum(len(feedparser.parse(io.BytesIO(b)).entries) for b in bodies)
    return time.perf_counter() - t0, n


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    args = ap.parse_args()
    monitor = quiet_monitor()

    work = pathlib.Path(tempfile.mkdtemp(prefix="tw-bench-prefect-"))
    bodies = {f"/feed/{n}.xml": feed(n, args.items) for n in range(args.feeds)}
    server = serve(bodies)
    sources = write_sources(work, server.server_address[1], args.feeds)
    (work / "none.yml").write_text("version: 1\nurls: []\n", encoding="utf-8")
    empty = work / "empty.yaml"
    empty.write_text("sources: []\n", encoding="utf-8")
    config = ROOT / "config"
    flow_kw = {"alerts": str(work / "none.yml"), "config_dir": str(config)}

    monitor(sources=str(empty), db_path=str(work / "warmup.duckdb"), **flow_kw)  # ephemeral API start, not counted
    bare_run(empty, work / "warmup-bare.duckdb", config)  # extractor load, not counted
    empty_s, _ = timed(monitor, sources=str(empty), db_path=str(work / "warmup.duckdb"), **flow_kw)

    bare_cold, n_bare = timed(bare_run, sources, work / "bare.duckdb", config)
    flow_cold, s = timed(monitor, sources=str(sources), db_path=str(work / "flow.duckdb"), **flow_kw)
    bare_warm, _ = timed(bare_run, sources, work / "bare.duckdb", config)
    flow_warm, _ = timed(monitor, sources=str(sources), db_path=str(work / "flow.duckdb"), **flow_kw)
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    fp_s, fp_n = feedparser_floor(list(bodies.values()))
    lx_s, lx_n = lxml_floor(list(bodies.values()))

    print(
        f"bench_prefect: {args.feeds} feeds x {args.items} items from 127.0.0.1, same work with and without the engine"
    )
    print(f"  empty flow run (engine floor)   : {empty_s:6.2f} s")
    print(
        f"  cold  bare {bare_cold:6.2f} s | flow {flow_cold:6.2f} s | overhead {flow_cold - bare_cold:+6.2f} s"
        f"  ({n_bare} / {s.new_items} new items)"
    )
    print(f"  warm  bare {bare_warm:6.2f} s | flow {flow_warm:6.2f} s | overhead {flow_warm - bare_warm:+6.2f} s")
    print(f"  floors: feedparser {fp_n / fp_s:8.0f} items/s | raw lxml {lx_n / lx_s:8.0f} items/s ({lx_n} items)")
    result = {
        "feeds": args.feeds,
        "empty_flow_s": empty_s,
        "bare_cold_s": bare_cold,
        "flow_cold_s": flow_cold,
        "bare_warm_s": bare_warm,
        "flow_warm_s": flow_warm,
        "items": n_bare,
        "feedparser_items_s": fp_n / fp_s,
        "lxml_items_s": lx_n / lx_s,
    }
    print("RESULT " + json.dumps(result))
    return 0 if n_bare == s.new_items == args.feeds * args.items else 1


if __name__ == "__main__":
    sys.exit(main())
