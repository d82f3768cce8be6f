"""Extraction flags in plain words: an analyst reads a sentence, not `claimed_count_mismatch:10!=11`."""

from __future__ import annotations

import re

import pycountry

GROUPS = {"EU": "EU", "NATO": "NATO", "CSTO": "CSTO", "CIS": "CIS", "COE": "Council of Europe"}
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
                10: "ten", 11: "eleven", 12: "twelve"}


def describe_flag(flag: str) -> str:
    """One sentence for a known flag; an unknown flag is returned as it is (never dropped)."""
    if m := re.fullmatch(r"claimed_count_mismatch:(\d+)!=(\d+)", flag):
        said, named = int(m[1]), int(m[2])
        return (f"The text speaks of {NUMBER_WORDS.get(said, said)} countries but names {named}; "
                "check the counterpart list.")
    if m := re.fullmatch(r"not_in_group:([^:]+):(.+)", flag):
        group = GROUPS.get(m[1].upper(), m[1])
        names = [_country(c) for c in m[2].split(",") if c]
        verb = "is not a member" if len(names) == 1 else "are not members"
        return f"{_join(names)} {verb} of the {group}, although the text speaks of {group} countries."
    if flag == "background":
        return "The event is dated well before publication: background, not news."
    return flag


def _country(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code.upper())
    return getattr(country, "common_name", None) or getattr(country, "name", None) or code


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
