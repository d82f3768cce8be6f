"""parsers.config.yamlio: the one config YAML reader (YAML 1.2 booleans, repeated keys refused, libyaml)."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from flows.alerts.destinations import AlertConfigError, load_destinations
from flows.serve.schedules import load_schedules
from parsers.config.routing import load_policy
from parsers.config.sources import load_sources
from parsers.config.yamlio import ConfigLoader, YamlError, load_yaml, read_error
from parsers.errors import ConfigError
from parsers.extract.gazetteer import load_gazetteer
from parsers.extract.morph import Inflector
from tests.support import FIXTURES, REPO

DUPLICATE = FIXTURES / "config" / "duplicate-key.yaml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NO: [Norway]", {"NO": ["Norway"]}),  # YAML 1.1 would make the key False
        ("a: [ON, off, y, Yes]", {"a": ["ON", "off", "y", "Yes"]}),
        ("a: true\nb: FALSE", {"a": True, "b": False}),
        ("a: &x {k: 1}\nb:\n  <<: *x\n  k: 2", {"a": {"k": 1}, "b": {"k": 2}}),  # a merge may override
    ],
)
def test_only_true_and_false_are_booleans(text: str, expected: object) -> None:
    assert load_yaml(text) == expected


def test_a_repeated_key_names_the_file_the_line_and_the_key() -> None:
    with pytest.raises(YamlError) as err:
        load_yaml(DUPLICATE.read_text(encoding="utf-8"), str(DUPLICATE))
    assert (err.value.key, err.value.line) == ("LA", 5)
    assert str(DUPLICATE) in str(err.value) and "line 5" in str(err.value) and "'LA'" in str(err.value)
    assert "first defined at line 3" in str(err.value)


def test_syntax_errors_name_the_line_without_quoting_it() -> None:
    with pytest.raises(YamlError, match=r"^f\.yaml: invalid YAML at line 3, column 1: ") as err:
        load_yaml("token: s3cret-[\nb: [", "f.yaml")
    assert "s3cret" not in str(err.value) and isinstance(err.value, ConfigError)
    assert read_error(err.value) == str(err.value).removeprefix("f.yaml: ")  # the readers add their own words


def test_read_error_says_one_line_for_a_repeated_key_and_for_bytes_that_are_not_utf8(tmp_path: pathlib.Path) -> None:
    with pytest.raises(YamlError) as err:
        load_yaml(DUPLICATE.read_text(encoding="utf-8"), str(DUPLICATE))
    assert read_error(err.value) == "invalid YAML at line 5: duplicate key 'LA' (first defined at line 3)"
    path = tmp_path / "latin.yaml"
    path.write_bytes("a: é".encode("latin-1"))
    with pytest.raises(UnicodeDecodeError) as bad:
        path.read_text(encoding="utf-8")
    assert read_error(bad.value) == "not UTF-8 text (byte 0xe9 at offset 3)"


def test_uses_libyaml_when_pyyaml_has_it() -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML built without libyaml")
    assert issubclass(ConfigLoader, yaml.CSafeLoader)


def test_every_config_file_of_the_project_loads_without_repeated_keys() -> None:
    for path in sorted((REPO / "config").rglob("*.y*ml")):
        load_yaml(path.read_text(encoding="utf-8"), str(path))


@pytest.mark.parametrize("reader", ["sources", "routing", "schedules", "gazetteer", "alerts"])
def test_every_reader_refuses_repeated_keys(tmp_path: pathlib.Path, reader: str) -> None:
    texts = {
        "sources": "sources: []\nsources: []\n",
        "routing": "min_confidence: 0.5\nmin_confidence: 0.6\n",
        "schedules": "schedules: []\nschedules: []\n",
        "gazetteer": DUPLICATE.read_text(encoding="utf-8"),
        "alerts": 'version: 1\nurls:\n  - "json://127.0.0.1:9/a": {tag: x}\n    "json://127.0.0.1:9/a": {tag: y}\n',
    }
    path = tmp_path / f"{reader}.yaml"
    path.write_text(texts[reader], encoding="utf-8")
    load = {
        "sources": load_sources,
        "routing": load_policy,
        "schedules": load_schedules,
        "gazetteer": lambda p: load_gazetteer(p, Inflector()),
        "alerts": lambda p: load_destinations(p, None),
    }
    with pytest.raises(ConfigError, match="duplicate key") as err:
        load[reader](path)
    assert str(path) in str(err.value)
    if reader == "alerts":  # alert URLs carry secrets: the key is not echoed
        assert isinstance(err.value, AlertConfigError) and "json://" not in str(err.value)
