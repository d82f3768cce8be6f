"""Turn alerts, digests and health notices into the text each channel shows, through jinja templates.

Channels: HTML mail, Slack mrkdwn, markdown, console. Feed text is cleaned and escaped by
`flows.alerts.escape` (jinja2 autoescape for `*.html.j2`, the `slack` and `md` filters elsewhere);
titles and labels come from `flows.alerts.labels`.

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

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.alerts.escape import clean, md_escape, md_link, shorten, slack_escape, slack_link, web_url
from flows.alerts.flags import describe as flag_words
from flows.alerts.labels import (
    TITLE_MAX,
    TYPE_LABELS,
    change_label,
    instrument_name,
    is_body_code,
    official_label,
    others,
    party,
    party_label,
    title_for,
    title_text,
    when,
)
from parsers.errors import TreatywatchError
from parsers.models import Official

TEMPLATES = Path(__file__).resolve().parent / "templates"
SLACK_MAX = 2900  # Slack rejects section text over 3,000 characters; keep a margin
SLACK_TITLE_MAX = 150  # Slack header blocks take at most 150 characters
CHANNELS = MappingProxyType(
    {
        "email": ("email.html.j2", "html"),
        "slack": ("slack.md.j2", "markdown"),
        "generic": ("generic.md.j2", "markdown"),
        "console": ("console.txt.j2", "text"),
    }
)


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
    name, body_format = _channel(channel)
    notify_type = "warning" if view.family == "termination" else "info"
    if channel == "slack":
        return RenderedAlert(title_for(view, SLACK_TITLE_MAX), _slack_body(view), body_format, notify_type)
    limits = {"evidence_max": 500, "parties_max": 30, "title_max": 200} if channel == "console" else {}
    body = _env().get_template(name).render(**context(view, title_for(view, TITLE_MAX), **limits))
    return RenderedAlert(title_for(view, TITLE_MAX), body.strip() + "\n", body_format, notify_type)


# --- context and templates ----------------------------------------------------------------------

# The columns the suggested `treatywatch query` shows: what happened, who, how sure, where it was read.
QUERY_COLUMNS = "detected_at, type, actor, counterparts, confidence, source_id, item_url"


def context(
    view: AlertView,
    title: str,
    *,
    evidence_max: int = 4000,
    parties_max: int = 300,
    title_max: int = 500,
    mentions_max: int = 50,
) -> dict[str, Any]:
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
        "counterparts": [
            {"code": c, "name": n, "label": n if n == c else f"{n} ({c})"} for c, n in parties[:parties_max]
        ],
        "more_counterparts": max(len(parties) - parties_max, 0),
        "counterpart_count": len(parties),
        "domain": clean(view.domain),
        "stage": clean(view.stage),
        "evidence": shorten(clean(view.evidence), evidence_max),
        "confidence": f"{view.confidence:.2f}",
        "rule": clean(view.rule),
        "flags": flag_words([clean(f) for f in view.flags if clean(f)], lambda c: party(c)[1]),
        "officials": [official_label(o) for o in view.officials[:20]],
        "item_title": shorten(clean(view.item_title), title_max) or "(untitled)",
        "item_url": clean(view.item_url),
        "item_link": web_url(view.item_url),
        "source_id": clean(view.source_id),
        "published": when(view.published),
        "detected_at": when(view.detected_at),
        "event_id": clean(view.event_id),
        "sql": sql,
        "cli": _cli_hint(sql, view.db_hint),
        "change": change_label(view.change) if view.change else "",
        "official": view.official,
        "mentions": [
            {
                "source_id": clean(m.source_id),
                "title": shorten(clean(m.title), 160) or "(untitled)",
                "url": clean(m.url),
                "link": web_url(m.url),
                "published": when(m.published),
            }
            for m in view.mentions[:mentions_max]
        ],
        "more_mentions": max(len(view.mentions) - mentions_max, 0),
        "instrument": _instrument_context(view),
    }


def _counterpart(view: AlertView, code: str) -> tuple[str, str]:
    """A body code the alert knows only from its instrument ("CFE") is shown with the registry label."""
    shown, name = party(code)
    if (
        name == shown
        and view.instrument_label
        and is_body_code(code)
        and code.upper() == clean(view.instrument_id).upper()
    ):
        return shown, clean(view.instrument_label)
    return shown, name


def _instrument_context(view: AlertView) -> dict[str, str] | None:
    name = instrument_name(view)
    if not name and not view.instrument_kind:
        return None
    as_written = shorten(clean(view.instrument_text), 300)
    return {
        "name": name or "not named",
        "kind": clean(view.instrument_kind) or "unknown",
        "id": clean(view.instrument_id),
        "text": as_written if as_written != name else "",
    }


def _cli_hint(sql: str, db_hint: str) -> str:
    query = f'"{sql}"' if not set(sql) & set('"$`\\!') else shlex.quote(sql)
    db = clean(db_hint)
    return f"treatywatch query {query}" + (f" --db {shlex.quote(db)}" if db and db != "data/treatywatch.duckdb" else "")


def _slack_body(view: AlertView) -> str:
    """Slack mrkdwn under SLACK_MAX: shrink evidence and party lists until it fits."""
    template = _env().get_template(CHANNELS["slack"][0])
    body = ""
    for evidence_max, parties_max, title_max, mentions_max in (
        (1500, 40, 300, 8),
        (700, 15, 200, 4),
        (300, 6, 120, 2),
        (120, 2, 80, 0),
    ):
        ctx = context(
            view,
            title_for(view, SLACK_TITLE_MAX),
            evidence_max=evidence_max,
            parties_max=parties_max,
            title_max=title_max,
            mentions_max=mentions_max,
        )
        ctx["mention_links"] = [
            slack_link(m["url"] if len(m["url"]) <= 800 else None, m["title"]) for m in ctx["mentions"]
        ]
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
    filters: dict[str, Callable[..., str]] = {
        "slack": slack_escape,
        "slack_link": slack_link,
        "md": md_escape,
        "md_link": md_link,
    }
    env.filters.update(filters)
    return env


# --- health notices and digests -----------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A message about treatywatch itself (a failing source, a silent scheduler, an alert given up).

    The one notice type: planned as `health` ledger rows (`subject`, `reason` and `unique` make them
    idempotent), rendered from the row's title and message. Its text is untrusted too.
    """

    title: str
    message: str
    subject: str = ""
    reason: str = ""
    unique: str = ""


def render_notice(notice: Notice, channel: str) -> RenderedAlert:
    """Health notices: short, escaped per channel by their templates, marked as warnings."""
    name, body_format = _channel(channel)
    title = shorten(clean(notice.title), SLACK_TITLE_MAX if channel == "slack" else TITLE_MAX)
    body = _env().get_template(f"notice.{name}").render(title=title, message=shorten(clean(notice.message), 2000))
    return RenderedAlert(title, body, body_format, "warning")


def render_digest(views: Sequence[AlertView], channel: str) -> RenderedAlert:
    """Many events in one message (e.g. a daily partnership email): one line each, newest last."""
    name, body_format = _channel(channel)
    families = sorted({v.family for v in views})
    title = f"treatywatch digest: {len(views)} event{'s' if len(views) != 1 else ''} ({', '.join(families)})"
    body = _env().get_template(f"digest.{name}").render(title=title, lines=[_digest_line(v) for v in views])
    if channel == "slack":
        body = body.rstrip("\n")
        if len(body) > SLACK_MAX:
            body = body[: body.rfind("\n", 0, SLACK_MAX)] + "\n…"
        return RenderedAlert(shorten(title, SLACK_TITLE_MAX), body + "\n", body_format, "info")
    return RenderedAlert(title, body, body_format, "info")


def _digest_line(v: AlertView) -> dict[str, Any]:
    shown = others(v)
    head = title_text(v, [party_label(c) for c in shown[:6]], max(len(shown) - 6, 0))
    if v.change:
        head += f" [{change_label(v.change)}]"
    return {
        "head": shorten(head, 300),
        "url": v.item_url,
        "link": web_url(v.item_url),
        "title": shorten(clean(v.item_title), 160),
        "confidence": f"{v.confidence:.2f}",
    }


def _channel(channel: str) -> tuple[str, str]:
    """(template name, apprise body format) of a channel; RenderError for an unknown one."""
    if channel not in CHANNELS:
        raise RenderError(f"no template for channel {channel!r}; expected one of {sorted(CHANNELS)}")
    return CHANNELS[channel]
