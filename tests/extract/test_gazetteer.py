"""Country and organisation names, aliases, metonyms and inflected Russian forms -> codes."""

from __future__ import annotations

import pathlib

import pytest

from parsers.errors import ConfigError
from parsers.extract.engine import load_extractor
from parsers.extract.gazetteer import load_gazetteer
from parsers.extract.morph import Inflector
from parsers.extract.text import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[2]
GAZ = load_extractor(ROOT / "config").gazetteer


def codes(text: str) -> list[str]:
    return [c for m in GAZ.find(tokenize(text), text) for c in m.codes]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Britain", ["GB"]),
        ("the Czech Republic", ["CZ"]),
        ("Czechia", ["CZ"]),
        ("the Netherlands", ["NL"]),
        ("French", ["FR"]),
        ("Russian", ["RU"]),
        ("Moscow", ["RU"]),
        ("the Kremlin", ["RU"]),
        ("Washington", ["US"]),
        ("Pyongyang", ["KP"]),
        ("Seoul", ["KR"]),
        ("U.S.", ["US"]),
        ("Türkiye", ["TR"]),
        ("South Korea", ["KR"]),
        ("North Korea", ["KP"]),
        ("Germany", ["DE"]),
        ("India's", ["IN"]),
        ("Manila", ["PH"]),
        ("Hanoi", ["VN"]),
        ("Tashkent", ["UZ"]),
        ("Chadian", ["TD"]),
        ("Omani", ["OM"]),
        ("the Organization of American States", []),
        ("São Tomé and Príncipe", ["ST"]),
        ("the two Koreas", ["KR", "KP"]),
    ],
)
def test_english_names(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("российско-индийский", ["RU", "IN"]),
        ("Бамако", ["ML"]),
        ("Минобороны России", ["RU"]),
        ("с Германией", ["DE"]),
        ("Германии", ["DE"]),
        ("во Франции", ["FR"]),
        ("с Белоруссией", ["BY"]),
        ("Республикой Беларусь", ["BY"]),
        ("Соединенными Штатами", ["US"]),
        ("с Южной Кореей", ["KR"]),
        ("Сан-Томе и Принсипи", ["ST"]),
        ("Королевства Дания", ["DK"]),
        ("с Того", ["TG"]),
        ("российской", ["RU"]),
        ("Москвой", ["RU"]),
        ("Кремлю", ["RU"]),
        ("Великобританией", ["GB"]),
        ("в Ташкенте", ["UZ"]),
        ("Манилой", ["PH"]),
        ("узбекско-российский", ["UZ", "RU"]),
        ("эмиратский", ["AE"]),
    ],
)
def test_russian_inflected_forms(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NATO", ["NATO"]),
        ("the European Union", ["EU"]),
        ("EU", ["EU"]),
        ("ОДКБ", ["CSTO"]),
        ("СНГ", ["CIS"]),
        ("Совета Европы", ["CoE"]),
        ("PACE", ["CoE"]),
        ("Евросоюзом", ["EU"]),
    ],
)
def test_organisations(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize("text", ["us", "того", "turkey sandwich", "chad fumes", "who knows", "china plates"])
def test_case_guards_common_words(text: str) -> None:
    assert codes(text) == []


def test_bodies_are_recognised_without_codes() -> None:
    text = "the Economic Community of West African States (ECOWAS) and ОБСЕ"
    mentions = GAZ.find(tokenize(text), text)
    assert [m.kind for m in mentions] == ["body", "body", "body"] and all(m.codes == () for m in mentions)


def test_groups_are_data() -> None:
    assert "GB" not in GAZ.groups["EU"] and "NO" not in GAZ.groups["EU"] and "BG" in GAZ.groups["EU"]


def test_longest_match_wins() -> None:
    text = "the Democratic People's Republic of Korea"
    assert [(m.codes, m.start) for m in GAZ.find(tokenize(text), text)] == [(("KP",), 1)]


@pytest.mark.parametrize("content", ["names: [GB]", "- a\n- b", "bodies: {x: 1}", "spaceships: {}"])
def test_bad_gazetteer_raises_config_error(tmp_path: pathlib.Path, content: str) -> None:
    path = tmp_path / "gazetteer.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="gazetteer.yaml"):
        load_gazetteer(path, Inflector())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Honiara", ["SB"]),
        ("в Хониаре", ["SB"]),
        ("с Асунсьоном", ["PY"]),
        ("Port Moresby", ["PG"]),
        ("в Порт-Морсби", ["PG"]),
        ("Нью-Дели", ["IN"]),
        ("Papua New Guinean", ["PG"]),
        ("Nigerien", ["NE"]),
        ("Nigerian", ["NG"]),
        ("с Папуа — Новой Гвинеей", ["PG"]),
        ("Южно-Африканской Республикой", ["ZA"]),
    ],
)
def test_library_capitals_names_and_demonyms(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Latin American states",
        "в Латинской Америке",
        "New Mexico",
        "Georgia Tech",
        "Male voters",
        "Victoria police",
        "San Jose",
    ],
)
def test_not_states_and_excluded_aliases_name_no_state(text: str) -> None:
    assert codes(text) == []


def test_not_states_must_be_a_list(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "gazetteer.yaml"
    path.write_text("not_states: {a: 1}", encoding="utf-8")
    with pytest.raises(ConfigError, match="not_states"):
        load_gazetteer(path, Inflector())


def test_gazetteer_yaml_has_no_duplicate_keys() -> None:
    """PyYAML keeps the last of two equal keys silently (LA was listed twice): catch it here."""
    import yaml

    def walk(node: yaml.Node, where: str) -> None:
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value]
            assert len(keys) == len(set(keys)), (
                f"{where}: duplicate keys {sorted({k for k in keys if keys.count(k) > 1})}"
            )
            for k, v in node.value:
                walk(v, f"{where}.{k.value}")

    for name in ("gazetteer.yaml", "officials.yaml"):
        walk(yaml.compose((ROOT / "config" / name).read_text(encoding="utf-8")), name)


_LABELS = """
import pathlib, sys
from parsers.extract.engine import load_extractor
from parsers.extract.text import tokenize
g = load_extractor(pathlib.Path(sys.argv[1])).gazetteer
for form in sorted(f for f, roots in g._starts.items() if len(roots) > 1):
    text = form[:1].upper() + form[1:]
    print(form, [(m.codes, m.kind, m.label) for m in g.find(tokenize(text), text)])
"""


def test_same_token_names_resolve_the_same_under_any_hash_seed() -> None:
    """A word form that ends two names («российском»: «российский», «российско») gives the same mention
    whatever PYTHONHASHSEED the process (and the build) ran with."""
    import os
    import subprocess
    import sys

    config = pathlib.Path(__file__).resolve().parents[2] / "config"
    runs = [
        subprocess.run(
            [sys.executable, "-c", _LABELS, str(config)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    ]
    assert runs[0].count("\n") > 20
    assert runs[0] == runs[1] == runs[2]
