"""`treatywatch sources --probe`: fetch each source once, now, and say in one line what came back.

Nothing is stored: no DB, no validators (a plain GET), no health change. So an operator sees on day
one which endpoints answer from their network, with the same fetcher, per-host manners and parsers
a run uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flows.ingest.collect import FetchContext, SourceFetch, collect_source
from flows.ingest.fetch import FetchPolicy, HostLimiter, make_client
from flows.settings import Settings
from flows.store.db import utcnow
from flows.store.storage import SourceState
from parsers.config.sources import load_hosts
from parsers.models import Source

VERDICTS = {
    "challenge": "blocked by a bot or firewall challenge",
    "not_a_feed": "HTML page, not a feed (moved, or a challenge we do not recognise)",
    "timeout": "timeout",
    "connect": "cannot connect",
    "parse": "unparseable answer",
    "too_large": "answer too large",
    "redirects": "too many redirects",
    "blocked": "refused: private address",
}


@dataclass(frozen=True, slots=True)
class Probe:
    source: Source
    ok: bool
    verdict: str


def verdict_of(fetched: SourceFetch) -> Probe:
    """One line for one source: what an operator needs to decide (works / blocked / moved / down)."""
    r, src = fetched.record, fetched.source
    if r.error_kind is None:
        if r.items == 0:
            return Probe(src, False, f"empty: HTTP {r.status}, no items")
        return Probe(src, True, f"ok: {src.kind} with {r.items} items ({r.latency_ms} ms)")
    if r.error_kind == "http_status":
        return Probe(
            src, False, f"HTTP {r.status}" + (" (forbidden: datacenter or client blocked?)" if r.status == 403 else "")
        )
    label = VERDICTS.get(r.error_kind, r.error_kind)
    detail = (r.error or "").split("\n")[0][:120]
    return Probe(src, False, f"{label}: {detail}" if detail else label)


def probe(
    sources: Sequence[Source], settings: Settings, policy: FetchPolicy, on_result: Callable[[Probe], None] | None = None
) -> list[Probe]:
    """Every source once, a few at a time; results in config order (`on_result` as they arrive)."""
    limiter = HostLimiter(settings.fetch_per_host, load_hosts(settings.sources_file))
    with make_client(policy) as client:
        ctx = FetchContext(client, policy, settings.sources_file.parent.resolve(), limiter, utcnow())

        def one(source: Source) -> Probe:
            got = verdict_of(collect_source(source, SourceState(), ctx))
            if on_result:
                on_result(got)
            return got

        with ThreadPoolExecutor(max_workers=max(1, settings.fetch_workers)) as pool:
            return list(pool.map(one, sources))
