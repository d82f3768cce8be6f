"""Extraction flags said in words an analyst can check against the text.

The engine records terse machine flags (`claimed_count_mismatch:10!=11`, `not_in_group:EU:GB,NO`);
an alert says "The text says ten EU countries but names 11; Norway and the United Kingdom are not EU
members." Unknown flags pass through as written, with underscores as spaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)
_COUNT = re.compile(r"^claimed_count_mismatch:(\d+)!=(\d+)$")
_GROUP = re.compile(r"^not_in_group:([^:]+):(.+)$")


def _number(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def _names(codes: Sequence[str], name_of: Callable[[str], str]) -> str:
    names = sorted(name_of(c) for c in codes)
    names = [
        f"the {n}" if n in ("United Kingdom", "United States", "Netherlands", "Czech Republic") else n for n in names
    ]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe(flags: Sequence[str], name_of: Callable[[str], str]) -> list[str]:
    """One plain sentence per finding; the count and group findings of one claim become one sentence."""
    count = next((m for f in flags if (m := _COUNT.match(f))), None)
    group = next((m for f in flags if (m := _GROUP.match(f))), None)
    out: list[str] = []
    if count or group:
        parts = []
        if count:
            claimed, named = int(count[1]), int(count[2])
            what = f"{group[1]} countries" if group else ("state" if claimed == 1 else "states")
            parts.append(f"The text says {_number(claimed)} {what} but names {named}")
        if group:
            outside = group[2].split(",")
            verb = ("is not " + ("an" if group[1][:1].upper() in "AEIOU" else "a")) if len(outside) == 1 else "are not"
            member = f"{group[1]} member" + ("" if len(outside) == 1 else "s")
            sentence = f"{_names(outside, name_of)} {verb} {member}"
            parts.append(sentence if parts else sentence[0].upper() + sentence[1:])
        out.append("; ".join(parts) + ".")
    out += [WORDS.get(f, f.replace("_", " ")) for f in flags if not (_COUNT.match(f) or _GROUP.match(f))]
    return out


WORDS = {  # flags without parameters, in a sentence each
    "background": "The event is dated well before publication: likely background, not news.",
}
