"""Closed-class words are data: config/rules/common.yaml `function_words`, checked on load, read per language."""

from __future__ import annotations

import pathlib
from datetime import date

import pytest
import yaml

from parsers.errors import ConfigError
from parsers.extract.engine import load_extractor
from parsers.extract.function_words import ROLES, load_function_words
from parsers.models import ExtractionInput

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMMON = ROOT / "config" / "rules" / "common.yaml"


def _table() -> dict:
    return yaml.safe_load(COMMON.read_text("utf-8"))["function_words"]


def test_every_language_lists_every_role() -> None:
    words = load_function_words(_table(), COMMON)
    assert set(words) == {"en", "ru"}
    assert "and" in words["en"].coordinator and "и" in words["ru"].coordinator
    assert "и" not in words["en"].coordinator  # per language: a Russian word never joins English parties


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.update(colour={"en": ["red"]}), "unknown role"),
        (lambda t: t["coordinator"].pop("ru"), "lacks role"),
        (lambda t: t["coordinator"].update(en="and"), "must be a list"),
        (lambda t: t["instrument_topic"].update(en=[True]), "must be a list"),  # YAML 1.1 reads a bare `on` as True
    ],
)
def test_bad_table_is_a_config_error(change, message: str) -> None:
    table = _table()
    change(table)
    with pytest.raises(ConfigError, match=message):
        load_function_words(table, COMMON)


def test_roles_are_read_from_config_not_code(tmp_path: pathlib.Path) -> None:
    """A preposition added in config dates "during 2019" as the code dates "in 2019": no Python change."""
    config = tmp_path / "config"
    config.mkdir()
    for path in (ROOT / "config").rglob("*"):
        if path.is_file():
            target = config / path.relative_to(ROOT / "config")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    common = yaml.safe_load(COMMON.read_text("utf-8"))
    common["function_words"]["year_only_preposition"]["en"].append("during")
    (config / "rules" / "common.yaml").write_text(yaml.safe_dump(common, allow_unicode=True), "utf-8")
    text = "Chile and Peru signed a defence cooperation agreement during 2019."
    before = load_extractor(ROOT / "config").extract(ExtractionInput(text=text, lang="en"))
    after = load_extractor(config).extract(ExtractionInput(text=text, lang="en"))
    assert [(e.actor, e.counterparts, e.dates) for e in before] == [("CL", ("PE",), ())]
    assert [(e.actor, e.counterparts, e.dates) for e in after] == [("CL", ("PE",), (date(2019, 1, 1),))]


def test_roles_match_the_dataclass() -> None:
    assert set(_table()) == set(ROLES)
