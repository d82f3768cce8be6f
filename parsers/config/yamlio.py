"""The one YAML reader for config: YAML 1.2 booleans, duplicate keys refused, libyaml when present.

PyYAML follows YAML 1.1, where `NO` (Norway), `ON`, `Y` and `off` silently become booleans; a
gazetteer of ISO codes cannot live with that. PyYAML also lets a repeated key silently replace the
first one (a gazetteer entry defined twice loses its first names): here that is an error naming
the file, the line and the key. Errors never quote the offending line (alert configs hold secrets).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from parsers.errors import ConfigError

_BOOL = "tag:yaml.org,2002:bool"
_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses ~10x faster when built in


class YamlError(ConfigError):
    """A config file is not valid YAML or repeats a key; names the file, the line and what is wrong."""

    def __init__(
        self,
        source: str,
        problem: str,
        line: int | None,
        column: int | None = None,
        key: str | None = None,
        context: str | None = None,
    ) -> None:
        self.source, self.problem, self.line, self.column, self.key = source, problem, line, column, key
        where = "" if line is None else f" at line {line}" + ("" if column is None else f", column {column}")
        # `detail` is the message without the file: readers put their own words between ("schedules file: ...")
        self.detail = f"invalid YAML{where}: {problem}" + (f" ({context})" if context else "")
        super().__init__(f"{source}: {self.detail}")


class _DuplicateKey(yaml.constructor.ConstructorError):
    def __init__(self, key: str, mark: Any, first_line: int) -> None:
        super().__init__(None, None, f"duplicate key {key!r} (first defined at line {first_line})", mark)
        self.key = key


class ConfigLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader whose bool resolver only accepts true/false (any case) and that refuses repeated keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(str(key), key_node.start_mark, seen[key])
                seen[key] = line
            except TypeError:  # an unhashable key: the base class reports it
                break
        return super().construct_mapping(node, deep=deep)


ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ConfigLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(text: str, source: str = "<config>") -> Any:
    """Parse config YAML; YamlError (a ConfigError) names `source` (the file), line and problem."""
    try:
        return yaml.load(text, Loader=ConfigLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        duplicate = isinstance(exc, _DuplicateKey)
        raise YamlError(
            source,
            exc.problem or "invalid YAML",
            line,
            None if duplicate else column,
            key=getattr(exc, "key", None),
            context=None if duplicate else exc.context,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(source, str(exc), None) from None


def read_error(exc: Exception) -> str:
    """One line for a failed config read: where the YAML broke and why, never the file's own text."""
    if isinstance(exc, YamlError):
        return exc.detail
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    if isinstance(exc, OSError):
        return f"cannot read it: {exc.strerror or exc}"
    return str(exc)
