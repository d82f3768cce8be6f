"""Scoped modality cues read from common.yaml `modality:`: conditions, calls, denials, speculation.

Each cue names a lexicon and where it must stand relative to the trigger; a hit lowers the
candidate's confidence by its penalty. Adding a cue (or a language) is a YAML edit, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parsers.errors import ConfigError
from parsers.models import FAMILY_OF

SCOPES = ("before", "after", "sentence")
UNLESS_SPAN = 2  # tokens before a cue searched for its cancelling lexicon
FIELDS = {"name", "cue", "scope", "span", "penalty", "with", "near", "types", "unless"}


@dataclass(frozen=True, slots=True)
class ModalCue:
    """One modality test: lexicon `cue` within `span` tokens on the `scope` side of the trigger."""

    name: str
    cue: str
    scope: str = "before"
    span: int = 8
    penalty: float = 0.45
    with_: str | None = None  # a second lexicon that must also stand within `near` tokens before the trigger
    near: int = 6
    types: tuple[str, ...] = ()  # event types it applies to; empty: all
    unless: str | None = None  # a lexicon right before the cue that cancels it ("even if")


def parse_modality(raw: Any, lexicons: set[str], source: str) -> tuple[ModalCue, ...]:
    """Validate the `modality:` list; errors name the cue and the field."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: 'modality' must be a list of cues")
    out = []
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            raise ConfigError(f"{source}: every modality cue needs a name")
        bad = set(item) - FIELDS
        if bad:
            raise ConfigError(f"{source}: modality {name!r}: unknown field {sorted(bad)[0]!r}")
        for fld in ("cue", "with", "unless"):
            if (fld == "cue" or item.get(fld) is not None) and item.get(fld) not in lexicons:
                raise ConfigError(f"{source}: modality {name!r}: field {fld!r} must name a lexicon")
        if item.get("scope", "before") not in SCOPES:
            raise ConfigError(f"{source}: modality {name!r}: field 'scope' must be one of {SCOPES}")
        types = tuple(item.get("types", ()))
        if any(t not in FAMILY_OF for t in types):
            raise ConfigError(f"{source}: modality {name!r}: field 'types' must list event types")
        out.append(
            ModalCue(
                name,
                item["cue"],
                item.get("scope", "before"),
                int(item.get("span", 8)),
                float(item.get("penalty", 0.45)),
                item.get("with"),
                int(item.get("near", 6)),
                types,
                item.get("unless"),
            )
        )
    return tuple(out)


def modal_penalty(sent: Any, start: int, end: int, etype: str, cues: tuple[ModalCue, ...]) -> tuple[float, list[str]]:
    """Total penalty and the names of the cues that hold around the trigger at [start, end)."""
    total, names = 0.0, []
    n = len(sent.tokens)
    present = sent.by_tag  # most cues' lexicons are absent from a sentence: no scope to work out for them
    for cue in cues:
        if not present.get(cue.cue) or (cue.types and etype not in cue.types):
            continue
        if cue.scope == "before":
            lo, hi = _after_break(sent, max(0, start - cue.span), start), start
        elif cue.scope == "after":
            lo, hi = end, min(n, end + cue.span)
        else:
            lo, hi = 0, n
        hits = [h for h in sent.tagged(cue.cue, lo, hi) if not (start <= h.start and h.end <= end)]
        if cue.unless:
            # right before the cue, or one determiner earlier ("approved the proposal")
            hits = [h for h in hits if not sent.has(cue.unless, max(0, h.start - UNLESS_SPAN), h.start)]
        if not hits:
            continue
        if cue.with_ and not sent.has(cue.with_, max(0, start - cue.near), end + 2):  # «подписала бы»
            continue
        total += cue.penalty
        names.append(cue.name)
    return total, names


def _after_break(sent: Any, lo: int, start: int) -> int:
    """The scope before a trigger ends at the last scope break (";", "but") between lo and the trigger."""
    for h in sent.tagged("scope_break", lo, start):
        lo = max(lo, h.end)
    return lo
