"""YAML for config files with YAML 1.2 booleans: only true/false are booleans.

PyYAML follows YAML 1.1, where `NO` (Norway), `ON`, `Y` and `off` silently become booleans; a
gazetteer of ISO codes cannot live with that.
"""

from __future__ import annotations

import re
from typing import Any

import yaml


# libyaml's C parser when PyYAML was built with it (about 10x faster on the gazetteer); the
# resolver below is Python either way, so both loaders give the same values.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigLoader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader (libyaml when available) whose bool resolver only accepts true/false (any case)."""


ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    """Parse config YAML; raises yaml.YAMLError like yaml.safe_load."""
    return yaml.load(text, Loader=ConfigLoader)  # noqa: S506 - a SafeLoader subclass


def read_error(exc: Exception) -> str:
    """One line for a failed config read: where the YAML broke and why, never the file's own text."""
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        context = getattr(exc, "context", None)
        return f"invalid YAML at {where}{problem}" + (f" ({context})" if context else "")
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    if isinstance(exc, OSError):
        return f"cannot read it: {exc.strerror or exc}"
    return str(exc)
