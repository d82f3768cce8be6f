"""Turn one stored event into the text each channel shows: HTML mail, Slack mrkdwn, markdown, console.

Feed text (titles, evidence, URLs, unknown party codes) is untrusted. It is cleaned of control
characters here, then escaped by the output format: jinja2 autoescape for `*.html.j2`, the `slack`
filter (`&`, `<`, `>` as entities) for Slack, the `md` filter (backslash escapes) for markdown.
Only http(s) URLs become links. The title never contains feed text, only resolved party names.

What apprise 2.0.1 does with each body (read from its source, checked in tests):
- email (mailto/mailtos) with body_format "html": a multipart/alternative message whose text part
  is apprise's own html_to_text() of our HTML (links lose their href there, so the template also
  prints URLs as text). A separate text template would never reach the wire, so there is none.
- Slack: markdown input is treated as CommonMark and converted (`*x*` becomes italics, `&lt;`
  becomes `&amp;lt;`). We therefore write final Slack mrkdwn and deliver.send passes it through
  unconverted in Block Kit mode; see deliver.py for why the legacy attachment mode is not used.
- other plugins (json://, Discord, Telegram, ...): our markdown is passed through or converted by
  apprise (Python-Markdown keeps raw HTML, hence the escaping of `<` and `>` in the md filter).
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pycountry
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.alerts.flags import describe as flag_words
from parsers.errors import TreatywatchError
from parsers.models import Official

TEMPLATES = Path(__file__).resolve().parent / "templates"
SLACK_MAX = 2900  # Slack rejects section text over 3,000 characters; keep a margin
SLACK_TITLE_MAX = 150  # Slack header blocks take at most 150 characters
TITLE_MAX = 200
CHANNELS = MappingProxyType({
    "email": ("email.html.j2", "html"),
    "slack": ("slack.md.j2", "markdown"),
    "generic": ("generic.md.j2", "markdown"),
    "console": ("console.txt.j2", "text"),
})
ORGS = MappingProxyType({
    "EU": ("EU", "European Union"),
    "NATO": ("NATO", "North Atlantic Treaty Organization"),
    "CSTO": ("CSTO", "Collective Security Treaty Organization"),
    "CIS": ("CIS", "Commonwealth of Independent States"),
    "COE": ("CoE", "Council of Europe"),
    "OSCE": ("OSCE", "Organization for Security and Co-operation in Europe"),
    "UN": ("UN", "United Nations"),
    "SCO": ("SCO", "Shanghai Cooperation Organisation"),
    "EAEU": ("EAEU", "Eurasian Economic Union"),
    "ASEAN": ("ASEAN", "Association of Southeast Asian Nations"),
    "AU": ("AU", "African Union"),
    "BRICS": ("BRICS", "BRICS"),
})
COUNTRY_NAMES = MappingProxyType({
    "RU": "Russia", "PS": "Palestine", "CD": "DR Congo", "CG": "Republic of the Congo",
    "XK": "Kosovo", "UK": "United Kingdom", "EL": "Greece",
})
TYPE_LABELS = MappingProxyType({
    "termination": ("Termination", "ends"),
    "suspension": ("Suspension", "suspends"),
    "withdrawal": ("Withdrawal", "withdraws from"),
    "partnership_signed": ("Partnership signed", ""),
    "partnership_strengthened": ("Partnership strengthened", ""),
})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


class RenderError(TreatywatchError):
    """An alert could not be rendered for a channel (unknown channel, broken template)."""


@dataclass(frozen=True)
class MentionRef:
    """One report of the event: where it was seen."""

    source_id: str
    title: str
    url: str
    published: datetime | None = None


@dataclass(frozen=True)
class AlertView:
    """Everything a template may show; built by the flow from DB rows."""

    event_id: str
    family: str
    type: str
    actor: str
    counterparts: tuple[str, ...]
    domain: str
    evidence: str
    confidence: float
    rule: str
    flags: tuple[str, ...]
    stage: str
    officials: tuple[Official, ...]
    item_title: str
    item_url: str
    source_id: str
    published: datetime | None
    detected_at: datetime
    db_hint: str = "data/treatywatch.duckdb"
    cluster_id: str = ""
    change: str = ""  # empty for a first alert; e.g. "parties:+HR,BE", "stage:ratified", "official"
    mentions: tuple[MentionRef, ...] = ()  # every report of this event, oldest first
    official: bool = False  # confirmed by an official legal portal
    # The treaty, agreement or body: text as written, registry id and kind, and the registry's English
    # label when the id is known ("the CFE Treaty"); all empty for events stored before v4.
    instrument_text: str = ""
    instrument_id: str | None = None
    instrument_kind: str | None = None
    instrument_label: str = ""


@dataclass(frozen=True)
class RenderedAlert:
    title: str
    body: str
    body_format: str  # "html" | "markdown" | "text"
    # apprise notify type: colours Slack and tags the JSON payload; a warning for endings.
    notify_type: str = "info"


def render(view: AlertView, channel: str) -> RenderedAlert:
    """Render `view` for one channel ("email", "slack", "generic", "console")."""
    if channel not in CHANNELS:
        raise RenderError(f"no template for channel {channel!r}; expected one of {sorted(CHANNELS)}")
    name, body_format = CHANNELS[channel]
    notify_type = "warning" if view.family == "termination" else "info"
    if channel == "slack":
        return RenderedAlert(title_for(view, SLACK_TITLE_MAX), _slack_body(view), body_format, notify_type)
    limits = {"evidence_max": 500, "parties_max": 30, "title_max": 200} if channel == "console" else {}
    body = _env().get_template(name).render(**context(view, title_for(view, TITLE_MAX), **limits))
    return RenderedAlert(title_for(view, TITLE_MAX), body.strip() + "\n", body_format, notify_type)


def change_label(change: str) -> str:
    """Human words for a cluster change key ("parties:+HR,BE" -> "new parties: Croatia (HR), Belgium (BE)")."""
    kind, _, rest = clean(change).partition(":")
    if kind == "parties":
        return "new parties: " + ", ".join(party_label(c) for c in rest.lstrip("+").split(",") if c)
    if kind == "stage":
        return f"now {rest.replace('_', ' ')}"
    if kind == "official":
        return "confirmed by an official legal portal"
    return clean(change)


# --- text helpers -------------------------------------------------------------------------------

def clean(text: str | None) -> str:
    """Untrusted text on one line: control/bidi characters removed, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def shorten(text: str, limit: int) -> str:
    """Cut clean text at a word boundary before `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    if " " in cut[limit // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def slack_escape(text: Any) -> str:
    """Slack's three control characters as entities, so feed text cannot link, mention or format."""
    return clean(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_escape(text: Any) -> str:
    """Backslash-escape markdown syntax (and `<`/`>`, which Python-Markdown would keep as raw HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", clean(str(text)))


def web_url(url: str | None) -> str | None:
    """The URL when it is a plain http(s) URL that may become a link, else None."""
    url = (url or "").strip()
    if not re.match(r"(?i)^https?://[^\s/?#]+", url) or _CONTROL.search(url) or any(c in url for c in ' "<>\\`'):
        return None
    return url


def slack_link(url: str | None, label: str) -> str:
    """`<url|label>` for http(s) URLs (both escaped for Slack), otherwise the escaped label and URL as text."""
    safe = web_url(url)
    if safe is None:
        return slack_escape(label) + (f" ({slack_escape(url)})" if clean(url) else "")
    target = safe.replace("&", "&amp;").replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return f"<{target}|{slack_escape(label).replace('|', '¦') or 'source'}>"


def md_link(url: str | None, label: str) -> str:
    """A markdown link for http(s) URLs, otherwise escaped text."""
    safe = web_url(url)
    if safe is None:
        return md_escape(label) + (f" ({md_escape(url)})" if clean(url) else "")
    return f"[{md_escape(label) or 'source'}](<{safe.replace('<', '%3C').replace('>', '%3E')}>)"


# --- parties and title --------------------------------------------------------------------------

def party(code: str) -> tuple[str, str]:
    """(display code, name) for an ISO country code or a known organisation; unknown codes name themselves."""
    # Codes come from extraction; an unknown one keeps only name-like characters, since it also
    # reaches titles, which some apprise plugins render as markdown or HTML.
    raw = re.sub(r"[^\w .'’()-]", "", clean(code))
    key = raw.upper()
    if key in ORGS:
        return ORGS[key]
    if key in COUNTRY_NAMES:
        return key, COUNTRY_NAMES[key]
    country = None
    if re.fullmatch(r"[A-Z]{2}", key):
        country = pycountry.countries.get(alpha_2=key)
    elif re.fullmatch(r"[A-Z]{3}", key):
        country = pycountry.countries.get(alpha_3=key)
    if country is None:
        return shorten(raw, 40), shorten(raw, 40)
    name = COUNTRY_NAMES.get(country.alpha_2) or getattr(country, "common_name", None) or country.name
    return key, name


def party_label(code: str) -> str:
    """'Russia (RU)'; an unknown code is shown once, as written."""
    shown, name = party(code)
    return name if name == shown else f"{name} ({shown})"


def _others(view: AlertView) -> list[str]:
    """Counterparts to list after the instrument: a body's own code is already named by it."""
    if view.instrument_id and _instrument_phrase(view) and view.family == "termination" \
            and view.instrument_kind in ("multilateral", "organisation"):
        return [c for c in view.counterparts if not _is_body_code(c)]
    return list(view.counterparts)


def _is_body_code(code: str) -> bool:
    return not (len(code) == 2 and code.isupper() and code != "EU")


def title_for(view: AlertView, max_len: int = TITLE_MAX) -> str:
    """Who did what to whom, e.g. 'Termination: Russia (RU) ends military agreements with A, B … (+9)',
    'Withdrawal: Russia (RU) withdraws from the CFE Treaty (multilateral)'."""
    labels = [party_label(c) for c in _others(view)]
    first = len(labels) if len(labels) <= 3 else 2
    title = ""
    for shown in range(first, -1, -1):
        title = _title_text(view, labels[:shown], len(labels) - shown)
        if len(title) <= max_len:
            return title
    return shorten(title, max_len)


def instrument_name(view: AlertView) -> str:
    """What the alert calls the instrument: the registry label, else the text as written ("" if unnamed)."""
    return shorten(clean(view.instrument_label) or clean(view.instrument_text) or clean(view.instrument_id), 90)


def _instrument_phrase(view: AlertView) -> str:
    """'the CFE Treaty (multilateral)'; '' when the event names no instrument."""
    name = instrument_name(view)
    kind = clean(view.instrument_kind)
    return f"{name} ({kind})" if name and kind else name


def _title_text(view: AlertView, shown: list[str], more: int) -> str:
    label, verb = TYPE_LABELS.get(view.type, (clean(view.type).replace("_", " ").capitalize() or "Event", ""))
    if view.change:
        label = f"Update – {label}"
    actor = party_label(view.actor)
    others = ", ".join(shown) + (f" … (+{more})" if more else "")
    domain = clean(view.domain)
    instrument = _instrument_phrase(view)
    if verb and instrument:  # "Russia (RU) withdraws from the CFE Treaty (multilateral)"
        return f"{label}: {actor} {verb} {instrument}" + (f" with {others}" if others else "")
    if verb:
        agreements = "agreements" if domain in ("", "other") else f"{domain} agreements"
        return f"{label}: {actor} {verb} {agreements}" + (f" with {others}" if others else "")
    return f"{label}: {actor}" + (f" – {others}" if others else "") + (f", {domain}" if domain not in ("", "other") else "")


# --- context and templates ----------------------------------------------------------------------

# The columns the suggested `treatywatch query` shows: what happened, who, how sure, where it was read.
QUERY_COLUMNS = "detected_at, type, actor, counterparts, confidence, source_id, item_url"

def context(view: AlertView, title: str, *, evidence_max: int = 4000, parties_max: int = 300,
            title_max: int = 500, mentions_max: int = 50) -> dict[str, Any]:
    """Plain values for the templates: cleaned, shortened, formatted; escaping is the template's job."""
    parties = [_counterpart(view, c) for c in view.counterparts]
    key, value = ("cluster_id", view.cluster_id) if view.cluster_id else ("event_id", view.event_id)
    quoted = clean(value).replace("'", "''")
    sql = f"SELECT {QUERY_COLUMNS} FROM v_events WHERE {key} = '{quoted}';"
    return {
        "title": title,
        "type_label": TYPE_LABELS.get(view.type, (clean(view.type),))[0],
        "type": clean(view.type),
        "family": clean(view.family),
        "actor": {"code": party(view.actor)[0], "name": party(view.actor)[1], "label": party_label(view.actor)},
        "counterparts": [{"code": c, "name": n, "label": n if n == c else f"{n} ({c})"} for c, n in parties[:parties_max]],
        "more_counterparts": max(len(parties) - parties_max, 0),
        "counterpart_count": len(parties),
        "domain": clean(view.domain),
        "stage": clean(view.stage),
        "evidence": shorten(clean(view.evidence), evidence_max),
        "confidence": f"{view.confidence:.2f}",
        "rule": clean(view.rule),
        "flags": flag_words([clean(f) for f in view.flags if clean(f)], lambda c: party(c)[1]),
        "officials": [_official(o) for o in view.officials[:20]],
        "item_title": shorten(clean(view.item_title), title_max) or "(untitled)",
        "item_url": clean(view.item_url),
        "item_link": web_url(view.item_url),
        "source_id": clean(view.source_id),
        "published": _when(view.published),
        "detected_at": _when(view.detected_at),
        "event_id": clean(view.event_id),
        "sql": sql,
        "cli": _cli_hint(sql, view.db_hint),
        "change": change_label(view.change) if view.change else "",
        "official": view.official,
        "mentions": [
            {"source_id": clean(m.source_id), "title": shorten(clean(m.title), 160) or "(untitled)",
             "url": clean(m.url), "link": web_url(m.url), "published": _when(m.published)}
            for m in view.mentions[:mentions_max]
        ],
        "more_mentions": max(len(view.mentions) - mentions_max, 0),
        "instrument": _instrument_context(view),
    }


def _counterpart(view: AlertView, code: str) -> tuple[str, str]:
    """A body code the alert knows only from its instrument ("CFE") is shown with the registry label."""
    shown, name = party(code)
    if name == shown and view.instrument_label and _is_body_code(code) and code.upper() == clean(view.instrument_id).upper():
        return shown, clean(view.instrument_label)
    return shown, name


def _instrument_context(view: AlertView) -> dict[str, str] | None:
    name = instrument_name(view)
    if not name and not view.instrument_kind:
        return None
    as_written = shorten(clean(view.instrument_text), 300)
    return {"name": name or "not named", "kind": clean(view.instrument_kind) or "unknown",
            "id": clean(view.instrument_id), "text": as_written if as_written != name else ""}


def _official(o: Official) -> str:
    parts = [clean(o.name)]
    if clean(o.role):
        parts.append(clean(o.role))
    text = ", ".join(parts)
    return f"{text}, {party_label(o.country)}" if o.country else text


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "unknown"
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _cli_hint(sql: str, db_hint: str) -> str:
    query = f'"{sql}"' if not set(sql) & set('"$`\\!') else shlex.quote(sql)
    db = clean(db_hint)
    return f"treatywatch query {query}" + (f" --db {shlex.quote(db)}" if db and db != "data/treatywatch.duckdb" else "")


def _slack_body(view: AlertView) -> str:
    """Slack mrkdwn under SLACK_MAX: shrink evidence and party lists until it fits."""
    template = _env().get_template(CHANNELS["slack"][0])
    body = ""
    for evidence_max, parties_max, title_max, mentions_max in (
        (1500, 40, 300, 8), (700, 15, 200, 4), (300, 6, 120, 2), (120, 2, 80, 0)
    ):
        ctx = context(view, title_for(view, SLACK_TITLE_MAX), evidence_max=evidence_max,
                      parties_max=parties_max, title_max=title_max, mentions_max=mentions_max)
        ctx["mention_links"] = [slack_link(m["url"] if len(m["url"]) <= 800 else None, m["title"]) for m in ctx["mentions"]]
        ctx["officials"] = [shorten(o, 120) for o in ctx["officials"][:5]]
        ctx["flags"] = [shorten(f, 240) for f in ctx["flags"][:10]]
        ctx["source_id"] = shorten(ctx["source_id"], 80)
        url = ctx["item_url"]
        ctx["source_link"] = slack_link(url if len(url) <= 800 else None, ctx["item_title"])
        ctx["rule"] = shorten(ctx["rule"], 80)
        body = template.render(**ctx).strip()
        if len(body) <= SLACK_MAX:
            return body + "\n"
    # Only reachable with absurd ids; a cut at a line boundary keeps entities and links whole.
    return body[: body.rfind("\n", 0, SLACK_MAX)] + "\n…\n"


@lru_cache(maxsize=1)
def _env() -> Environment:
    """One jinja2 environment: autoescape for *.html.j2 only, explicit filters for Slack and markdown."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    filters: dict[str, Callable[..., str]] = {"slack": slack_escape, "slack_link": slack_link,
                                              "md": md_escape, "md_link": md_link}
    env.filters.update(filters)
    return env


# --- health notices and digests -----------------------------------------------------------------

@dataclass(frozen=True)
class Notice:
    """A message about treatywatch itself (a failing source, a silent scheduler); text is untrusted too."""

    title: str
    message: str


def render_notice(notice: Notice, channel: str) -> RenderedAlert:
    """Health notices: short, escaped per channel, marked as warnings."""
    title = shorten(clean(notice.title), SLACK_TITLE_MAX if channel == "slack" else TITLE_MAX)
    message = shorten(clean(notice.message), 2000)
    if channel == "email":
        body = f"<h2>{_html(title)}</h2>\n<p>{_html(message)}</p>\n"
        return RenderedAlert(title, body, "html", "warning")
    if channel == "slack":
        return RenderedAlert(title, f"*{slack_escape(title)}*\n{slack_escape(message)}\n", "markdown", "warning")
    if channel == "console":
        return RenderedAlert(title, message + "\n", "text", "warning")
    return RenderedAlert(title, md_escape(message) + "\n", "markdown", "warning")


def render_digest(views: list[AlertView], channel: str) -> RenderedAlert:
    """Many events in one message (e.g. a daily partnership email): one line each, newest last."""
    if channel not in CHANNELS:
        raise RenderError(f"no template for channel {channel!r}; expected one of {sorted(CHANNELS)}")
    families = sorted({v.family for v in views})
    title = f"treatywatch digest: {len(views)} event{'s' if len(views) != 1 else ''} ({', '.join(families)})"
    lines = []
    for v in views:
        others = _others(v)
        head = _title_text(v, [party_label(c) for c in others[:6]], max(len(others) - 6, 0))
        if v.change:
            head += f" [{change_label(v.change)}]"
        lines.append((shorten(head, 300), v.item_url, shorten(clean(v.item_title), 160), f"{v.confidence:.2f}"))
    if channel == "email":
        items = "".join(
            f"<li>{_html(h)} (confidence {c})<br>"
            + (f'<a href="{_html(web_url(u))}">{_html(t)}</a> {_html(web_url(u))}' if web_url(u) else _html(t))
            + "</li>" for h, u, t, c in lines)
        return RenderedAlert(title, f"<h2>{_html(title)}</h2>\n<ul>{items}</ul>\n", "html", "info")
    if channel == "slack":
        body = "\n".join(f"• {slack_escape(h)} ({c}) {slack_link(u, t)}" for h, u, t, c in lines)
        if len(body) > SLACK_MAX:
            body = body[: body.rfind("\n", 0, SLACK_MAX)] + "\n…"
        return RenderedAlert(shorten(title, SLACK_TITLE_MAX), body + "\n", "markdown", "info")
    if channel == "console":
        return RenderedAlert(title, "\n".join(f"- {h} ({c})\n  {u}" for h, u, t, c in lines) + "\n", "text", "info")
    return RenderedAlert(title, "\n".join(f"- {md_escape(h)} ({c}) {md_link(u, t)}" for h, u, t, c in lines) + "\n",
                         "markdown", "info")


def _html(text: str | None) -> str:
    return html.escape(text or "", quote=True)
