"""Human labels for alerts: party names, event titles, change descriptions, times.

The title never contains feed text, only resolved party names (unknown codes keep only name-like
characters), since some apprise plugins render titles as markdown or HTML.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

import pycountry

from flows.alerts.escape import clean, shorten
from parsers.models import Official

if TYPE_CHECKING:
    from flows.alerts.render import AlertView

TITLE_MAX = 200
ORGS = MappingProxyType(
    {
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
    }
)
COUNTRY_NAMES = MappingProxyType(
    {
        "RU": "Russia",
        "PS": "Palestine",
        "CD": "DR Congo",
        "CG": "Republic of the Congo",
        "XK": "Kosovo",
        "UK": "United Kingdom",
        "EL": "Greece",
    }
)
TYPE_LABELS = MappingProxyType(
    {
        "termination": ("Termination", "ends"),
        "suspension": ("Suspension", "suspends"),
        "withdrawal": ("Withdrawal", "withdraws from"),
        "partnership_signed": ("Partnership signed", ""),
        "partnership_strengthened": ("Partnership strengthened", ""),
    }
)


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


def others(view: AlertView) -> list[str]:
    """Counterparts to list after the instrument: a body's own code is already named by it."""
    if (
        view.instrument_id
        and _instrument_phrase(view)
        and view.family == "termination"
        and view.instrument_kind in ("multilateral", "organisation")
    ):
        return [c for c in view.counterparts if not is_body_code(c)]
    return list(view.counterparts)


def is_body_code(code: str) -> bool:
    return not (len(code) == 2 and code.isupper() and code != "EU")


def title_for(view: AlertView, max_len: int = TITLE_MAX) -> str:
    """Who did what to whom, e.g. 'Termination: Russia (RU) ends military agreements with A, B … (+9)',
    'Withdrawal: Russia (RU) withdraws from the CFE Treaty (multilateral)'."""
    labels = [party_label(c) for c in others(view)]
    first = len(labels) if len(labels) <= 3 else 2
    title = ""
    for shown in range(first, -1, -1):
        title = title_text(view, labels[:shown], len(labels) - shown)
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


def title_text(view: AlertView, shown: list[str], more: int) -> str:
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
    return (
        f"{label}: {actor}"
        + (f" – {others}" if others else "")
        + (f", {domain}" if domain not in ("", "other") else "")
    )


def official_label(o: Official) -> str:
    parts = [clean(o.name)]
    if clean(o.role):
        parts.append(clean(o.role))
    text = ", ".join(parts)
    return f"{text}, {party_label(o.country)}" if o.country else text


def when(moment: datetime | None) -> str:
    if moment is None:
        return "unknown"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")
