"""Every rule's own examples: `match` sentences fire the rule, `no_match` sentences yield no event."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from parsers.errors import ConfigError
from parsers.extract.engine import THRESHOLD, load_extractor
from parsers.extract.morph import Inflector
from parsers.extract.rules import load_rules
from parsers.models import FAMILY_OF, ExtractionInput

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXTRACTOR = load_extractor(ROOT / "config")
RULES = list(EXTRACTOR.rules.rules.values())
MATCH = [(r.id, s) for r in RULES for s in r.examples_match]
NO_MATCH = [(r.id, s) for r in RULES for s in r.examples_no_match]


@pytest.mark.parametrize(("rule_id", "sentence"), MATCH)
def test_match_example_fires_rule(rule_id: str, sentence: str) -> None:
    rule = EXTRACTOR.rules.rules[rule_id]
    cands = EXTRACTOR.candidates(ExtractionInput(text=sentence, lang=rule.lang))
    assert any(c.rule.id == rule_id and c.confidence >= THRESHOLD for c in cands), cands
    families = {e.family for e in EXTRACTOR.extract(ExtractionInput(text=sentence, lang=rule.lang))}
    assert FAMILY_OF[rule.type] in families


@pytest.mark.parametrize(("rule_id", "sentence"), NO_MATCH)
def test_no_match_example_yields_no_event(rule_id: str, sentence: str) -> None:
    rule = EXTRACTOR.rules.rules[rule_id]
    events = EXTRACTOR.extract(ExtractionInput(text=sentence, lang=rule.lang))
    assert [e for e in events if e.family == FAMILY_OF[rule.type]] == []


def test_every_rule_has_examples_of_both_kinds() -> None:
    for rule in RULES:
        assert rule.examples_match and rule.examples_no_match, rule.id


def test_both_languages_and_all_types_are_covered() -> None:
    assert {r.lang for r in RULES} >= {"en", "ru"}
    assert {r.type for r in RULES} | {r.multilateral_type for r in RULES} | {r.bilateral_type for r in RULES} >= set(
        FAMILY_OF
    )


def _write_rules(tmp_path: pathlib.Path, rule: dict) -> pathlib.Path:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "common.yaml").write_text((ROOT / "config" / "rules" / "common.yaml").read_text("utf-8"), "utf-8")
    (rules_dir / "bad.en.yaml").write_text(yaml.safe_dump({"lang": "en", "rules": [rule]}), "utf-8")
    return rules_dir


GOOD = {"id": "x.ok", "type": "termination", "triggers": ["scrap"], "requires": ["agreement"], "confidence": 0.7}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "ending"}, "type"),
        ({"triggers": []}, "triggers"),
        ({"requires": ["no_such_lexicon"]}, "requires"),
        ({"confidence": 1.5}, "confidence"),
        ({"window": 0}, "window"),
        ({"stage": "maybe"}, "stage"),
        ({"examples": {"match": "one string"}}, "examples"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_rule_names_file_rule_and_field(tmp_path: pathlib.Path, change: dict, field: str) -> None:
    rules_dir = _write_rules(tmp_path, GOOD | change)
    with pytest.raises(ConfigError) as err:
        load_rules(rules_dir, Inflector())
    assert "bad.en.yaml" in str(err.value) and "x.ok" in str(err.value) and repr(field) in str(err.value)


def test_duplicate_rule_id_is_rejected(tmp_path: pathlib.Path) -> None:
    rules_dir = _write_rules(tmp_path, GOOD)
    (rules_dir / "again.en.yaml").write_text(yaml.safe_dump({"lang": "en", "rules": [GOOD]}), "utf-8")
    with pytest.raises(ConfigError, match="duplicate"):
        load_rules(rules_dir, Inflector())


def test_new_trigger_word_needs_no_python(tmp_path: pathlib.Path) -> None:
    rules_dir = _write_rules(tmp_path, GOOD | {"triggers": ["jettison"]})
    (tmp_path / "gazetteer.yaml").write_text((ROOT / "config" / "gazetteer.yaml").read_text("utf-8"), "utf-8")
    extractor = load_extractor(tmp_path)
    (event,) = extractor.extract(ExtractionInput(text="Chile jettisoned its naval treaty with Peru.", lang="en"))
    assert (event.rule, event.actor, event.counterparts) == ("x.ok", "CL", ("PE",))
    assert extractor.version != EXTRACTOR.version
    assert rules_dir.exists()
