"""Send one rendered alert to one destination and say, safely, whether it arrived.

apprise 2.0.1 never raises from notify(): it returns an AppriseResult (bool() is False on any
failure) and records each service's log lines in that result. We build a one-URL Apprise per
call, so a send reaches exactly that destination, and read the reason from the result's own log
capture rather than `apprise.LogCapture`: LogCapture hangs a handler on the process-wide
"apprise" logger (parallel sends would read each other's lines) and lowering its level to DEBUG
would let lines such as "Slack POST URL: https://hooks.slack.com/services/T.../B.../X..."
reach every other handler. The per-call capture is scoped by contextvars and stays at WARNING.
Every reason is scrubbed of the URL's secret parts before it is returned. Plugins log the actual
cause (e.g. SMTP's "Socket Exception: [Errno 111] Connection refused") at DEBUG under a vague
WARNING, so each send captures at DEBUG with the "apprise" logger's propagation switched off for the
call: those DEBUG lines reach only this call's capture, never the process's other handlers, and only
their exception details are kept.

Formats handed to apprise: email gets "html" (apprise adds the text/plain alternative), other
services get "markdown" (apprise converts per plugin), console prints text with rich. Slack gets
our final mrkdwn with body_format=None, which apprise passes through unconverted, and Block Kit
mode is forced: in the legacy attachment mode (`blocks=no`, apprise's default) apprise re-escapes
passthrough text (`&lt;` arrives as `&amp;lt;`) and turns `&lt;!channel&gt;` back into a live
`<!channel>` mention, which would undo our escaping of feed text.

Timeouts: the destination URL carries `cto` (connect; for SMTP every socket operation) and `rto`
(read), either as the operator wrote them or destinations.CONNECT_TIMEOUT / READ_TIMEOUT, so one
dead endpoint cannot stall a run for apprise's 15 s SMTP default on every alert.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import apprise
from apprise import plugins as apprise_plugins
from rich.console import Console
from rich.text import Text

from flows.alerts.destinations import Destination, scrub, url_secrets
from flows.alerts.payload import PAYLOAD_KEY
from flows.alerts.render import RenderedAlert

ERROR_MAX = 300
ALERT_ID_HEADER = "X-Treatywatch-Alert-Id"
_CAUSE = re.compile(r"\bException: |\bError: |\[Errno \d+\]")
_FORMATS = {"html": "html", "markdown": "markdown", "text": "text"}


@dataclass(frozen=True)
class DeliveryOutcome:
    ok: bool
    error: str | None = None  # short reason, safe to store (no secrets)


def send(
    destination: Destination,
    alert: RenderedAlert,
    *,
    console: Console | None = None,
    alert_id: str | None = None,
    fields: dict[str, Any] | None = None,
) -> DeliveryOutcome:
    """Deliver to this one destination; failures come back as ok=False with a scrubbed reason.
    `alert_id` goes into an X-Treatywatch-Alert-Id mail header, so a re-sent alert is recognisable;
    `fields` (flows/alerts/payload.py) go into a json:// POST under the key "treatywatch"."""
    if destination.channel == "console":
        return _print(alert, console or Console(file=sys.stdout))
    secrets = url_secrets(destination.url, keep=destination.display)
    try:
        service = _service(destination)
        if service is None:
            return DeliveryOutcome(False, f"apprise could not load {destination.display}")
        if alert_id and destination.channel == "email":
            service.headers[ALERT_ID_HEADER] = alert_id
        if fields and isinstance(getattr(service, "payload_extras", None), dict):  # apprise's json:// plugin
            service.payload_extras.setdefault(PAYLOAD_KEY, fields)
        with _debug_capture_only():
            result = apprise.Apprise(service).notify(
                body=alert.body,
                title=alert.title,
                notify_type=alert.notify_type,
                body_format=_body_format(destination, alert),
                log_level=logging.DEBUG,
            )
    except Exception as exc:  # a plugin bug must cost one alert, not the run
        return DeliveryOutcome(False, _short(scrub(f"{type(exc).__name__}: {exc}", secrets)))
    if result:
        return DeliveryOutcome(True)
    return DeliveryOutcome(False, _short(scrub(_reason(result), secrets)))


def _service(destination: Destination) -> Any:
    """One plugin instance for the destination URL (which carries its timeouts), Slack in Block Kit mode."""
    parsed = apprise_plugins.url_to_dict(destination.url, secure_logging=True)
    if parsed is None:
        return None
    if destination.channel == "slack":
        parsed["use_blocks"] = True
    return apprise.Apprise.instantiate(parsed)


def _body_format(destination: Destination, alert: RenderedAlert) -> str | None:
    """What to declare to apprise; None (passthrough) for Slack mrkdwn we already escaped ourselves."""
    if destination.channel == "slack" and alert.body_format == "markdown":
        return None
    return _FORMATS.get(alert.body_format, "text")


@contextmanager
def _debug_capture_only() -> Iterator[None]:
    """Let apprise's DEBUG records exist for one send without reaching any handler but its own capture."""
    logger = logging.getLogger("apprise")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def _useful(entry: Any) -> bool:
    """Warnings and errors, plus the DEBUG lines that carry the exception behind a vague warning."""
    return entry.level in ("WARNING", "ERROR", "CRITICAL") or (entry.level == "DEBUG" and _CAUSE.search(entry.message))


def _reason(result: apprise.AppriseResult) -> str:
    """The apprise warning/error lines of this call and their causes, or the bare status."""
    lines: list[str] = []
    for service_result in result:
        lines += [e.message for e in service_result.logs() if _useful(e)]
    lines += [e.message for e in result.call_logs() if _useful(e)]
    unique = list(dict.fromkeys(" ".join(line.split()) for line in lines if line.strip()))
    status = getattr(result.status, "name", str(result.status))
    return "; ".join(unique[:3]) if unique else f"apprise status {status}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def _print(alert: RenderedAlert, console: Console) -> DeliveryOutcome:
    """Console delivery: title in bold, body verbatim (no rich markup, no highlighting of feed text)."""
    console.print(Text(alert.title, style="bold"), markup=False, highlight=False, soft_wrap=True)
    console.print(Text(alert.body.rstrip("\n")), markup=False, highlight=False, soft_wrap=True)
    console.print()
    return DeliveryOutcome(True)
