"""Assemble the report: data from DuckDB, highlights from the rules, charts from Vega-Lite, one HTML file.

Everything the page needs is inlined (data as JSON, the Vega bundle, our script and styles), so the
file opens from disk or as an email attachment with no network. Untrusted text (titles, evidence,
notes) reaches the page only as JSON data rendered with `textContent`, never as markup.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from flows.alerts.flags import describe as flag_words
from flows.alerts.render import party, web_url
from flows.report import charts
from flows.report.data import ReportData, Scope, load
from parsers.extract.engine import Extractor
from parsers.extract.highlight import marks

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Exposes the bundled libraries to the page's own (non-module) script and tells it they are ready.
BUNDLE_SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.dispatchEvent(new Event('vega-ready'));"


def build_report(
    db_path: Path,
    out: Path,
    scope: Scope,
    *,
    extractor: Extractor | None,
    cache_dir: Path,
    now: datetime,
    labels: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Write the report to `out` atomically; returns what it holds (clusters, mentions, bytes).

    `labels` names registry instruments ("CFE" -> "the CFE Treaty"), as alerts do.
    """
    data = load(db_path, scope, now)
    html = render_html(data, extractor, vega_bundle(cache_dir), labels or {})
    _write_atomic(out, html)
    return {
        "clusters": len(data.clusters),
        "mentions": sum(len(v) for v in data.mentions.values()),
        "bytes": len(html.encode()),
    }


def render_html(data: ReportData, extractor: Extractor | None, bundle: str, labels: Mapping[str, str]) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    payload = _payload(data, extractor, labels)
    return env.get_template("report.html.j2").render(
        data=data,
        headline=_headline(data),
        payload=_packed(payload),
        specs=_script_json(charts.specs()),
        runs_json=_script_json([_plain(r) for r in data.runs]),
        bundle=bundle.replace("</script", "<\\/script"),
        script=(TEMPLATES / "report.js").read_text(encoding="utf-8"),
        style=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
    )


def default_cache_dir() -> Path:
    """Per-user cache ($XDG_CACHE_HOME/treatywatch): the bundle depends only on the vl-convert version."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "treatywatch"


def vega_bundle(cache_dir: Path) -> str:
    """The Vega, Vega-Lite and vega-embed bundle from vl-convert (offline), cached: bundling takes ~2 s."""
    key = hashlib.sha256(f"{_vl_convert_version()}\0{BUNDLE_SNIPPET}".encode()).hexdigest()[:16]
    path = cache_dir / f"vega-bundle-{key}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    import vl_convert  # a compiled package (~20 MB resident): imported only when the cache misses

    bundle = vl_convert.javascript_bundle(BUNDLE_SNIPPET)
    try:
        _write_atomic(path, bundle)
    except OSError:
        pass  # a read-only cache only costs time
    return bundle


def _vl_convert_version() -> str:
    """The installed vl-convert's version, read from its metadata without loading the library."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vl-convert-python")
    except PackageNotFoundError:
        return "0"


def _payload(data: ReportData, extractor: Extractor | None, labels: Mapping[str, str]) -> dict[str, Any]:
    """Compact rows (short keys, highlight offsets instead of copied text): 10,000 clusters must fit in 5 MB."""
    names: dict[str, str] = {}
    highlight = _Highlighter(extractor)
    clusters = []
    for c in data.clusters:
        for code in c["parties"]:
            if code not in names:
                names[code] = party(code)[1]
        row = {
            "id": c["id"],
            "f": c["family"],
            "t": c["type"],
            "a": c["actor"],
            "c": [p for p in c["parties"] if p != c["actor"]],
            "st": c["stage"],
            "o": c["official"],
            "p": c["confidence"],
            "n": c["mentions"],
            "ns": c["n_sources"],
            "fs": _json_value(c["first_seen"]),
            "ls": _json_value(c["last_seen"]),
            "m": [_mention(m, highlight) for m in data.mentions.get(c["id"], [])],
        }
        if c.get("instrument_id") or c.get("instrument_text"):
            name = labels.get(c["instrument_id"] or "") or c["instrument_text"] or c["instrument_id"]
            row["in"] = f"{name} ({c['instrument_kind']})" if c.get("instrument_kind") else name
        if c["review"]:
            row["rv"] = {
                "v": c["review"],
                "note": c["review_note"],
                "t": c["type_reviewed"],
                "parties": c["parties_reviewed"],
            }
        clusters.append(row)
    return {"clusters": clusters, "names": names, "generated_at": data.generated_at.isoformat(timespec="seconds")}


class _Highlighter:
    """Trigger/party spans per distinct evidence text: wires repeat the same sentence across outlets."""

    def __init__(self, extractor: Extractor | None) -> None:
        self.extractor = extractor
        self.seen: dict[tuple[str, str | None], list[list[Any]]] = {}

    def __call__(self, text: str, lang: str | None) -> list[list[Any]]:
        if self.extractor is None or not text:
            return []
        key = (text, lang)
        got = self.seen.get(key)
        if got is None:
            got = self.seen[key] = [[m.start, m.end, m.kind[0]] for m in marks(self.extractor, text, lang)]
        return got


def _mention(m: dict[str, Any], highlight: _Highlighter) -> dict[str, Any]:
    evidence = m.get("evidence") or ""
    out = {
        "t": m["type"],
        "a": m["actor"],
        "c": list(m["counterparts"]),
        "e": evidence,
        "h": highlight(evidence, m.get("lang")),
        "p": m["confidence"],
        "r": m["rule"],
        "s": m["source_id"],
        "ti": m.get("title") or "",
        "d": _json_value(m.get("published") or m.get("detected_at")),
    }
    url = web_url(m.get("url"))  # http(s) only: a javascript: link never becomes clickable
    if url:
        out["u"] = url
    flags = flag_words(list(m.get("flags") or []), lambda code: party(code)[1])
    if flags:
        out["fl"] = flags
    return out


def _headline(data: ReportData) -> dict[str, Any]:
    fam = {"termination": 0, "partnership": 0}
    for c in data.clusters:
        fam[c["family"]] = fam.get(c["family"], 0) + 1
    states = [s["state"] for s in data.sources]
    return {
        "clusters": len(data.clusters),
        "by_family": fam,
        "new": sum(1 for c in data.clusters if c["is_new"]),
        "updated": sum(1 for c in data.clusters if not c["is_new"]),
        "events": sum(r["n"] for r in data.event_counts),
        "event_counts": data.event_counts,
        "sources_ok": sum(1 for s in states if s == "ok"),
        "sources_failing": sum(1 for s in states if s != "ok"),
        "reviewed": sum(1 for c in data.clusters if c["review"]),
    }


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _json_value(v) for k, v in row.items()}


def _json_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    return v


def _packed(value: Any) -> str:
    """JSON, gzipped and base64-encoded: the browser inflates it with DecompressionStream (5-10x smaller)."""
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '<' can close it or open a comment."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # a report is for reading and sharing (mkstemp makes it owner-only)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
