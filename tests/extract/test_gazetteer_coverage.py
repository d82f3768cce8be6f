"""Every UN member state resolves from its names, capital and demonym: cases generated from library data.

The member list comes from country_converter (UN membership column), names from CLDR (babel), capitals
and demonyms from countryinfo/GeoNames, and the six Russian cases from pymorphy3's `inflect`, a
different path from the gazetteer's own lexeme expansion. Deliberate exceptions are listed below.
"""

from __future__ import annotations

import csv
import pathlib
import re

import pymorphy3
import pytest
from babel import Locale

from parsers.config.yamlio import load_yaml
from parsers.extract import statedata
from parsers.extract.engine import load_extractor
from parsers.extract.morph import Inflector
from parsers.extract.text import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[2]
GAZ = load_extractor(ROOT / "config").gazetteer
MORPH = pymorphy3.MorphAnalyzer()
CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")


def _un_members() -> list[str]:
    from country_converter.country_converter import COUNTRY_DATA_FILE

    with open(COUNTRY_DATA_FILE, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    # ISO2 holds a regex for two rows ("^GB$|^UK$"): the first code is the ISO one
    return sorted(re.findall(r"[A-Z]{2}", r["ISO2"])[0] for r in rows if r["UNmember"].strip())


UN = _un_members()
CAPITALS = statedata.capitals(Inflector().known)
DEMONYMS = statedata.demonyms()
EN, RU = Locale("en").territories, Locale("ru").territories
EXCLUDED = set(load_yaml((ROOT / "config" / "gazetteer.yaml").read_text(encoding="utf-8"))["exclude"])

# Deliberate exceptions: (code, what) -> the alias to test instead and the code it must give (None: nothing).
EXCEPTIONS: dict[tuple[str, str], tuple[str, str | None]] = {
    # one demonym for two states: the gazetteer gives it to the more populous one (documented rule)
    ("CG", "demonym"): ("Congolese", "CD"),
    ("DM", "demonym"): ("Dominican", "DO"),
    # countryinfo's demonym for the UK is "Welsh" (excluded in config); "British" is the one used
    ("GB", "demonym"): ("British", "GB"),
    # "Victoria" is also an Australian state and a first name, "Male" an English word: excluded in config
    ("SC", "capital"): ("Victoria", None),
    ("MV", "capital"): ("Malé", "MV"),
}


def codes(text: str) -> list[str]:
    """Codes of the mentions found, when one mention covers the whole text; else every code found."""
    toks = tokenize(text)
    found = GAZ.find(toks, text)
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(toks):
        return list(found[0].codes)
    return [c for m in found for c in m.codes] + (["<partial>"] if found else [])


def _nominative(word: str) -> pymorphy3.analyzer.Parse | str | None:
    """The dictionary's declining nominative reading; "fixed" for a known indeclinable name («Тонга»);
    None when the dictionary has no noun or adjective reading (the grammar rules below decide)."""
    low = word.lower().replace("ё", "е")
    parses = [
        p
        for p in MORPH.parse(low)
        if "nomn" in p.tag
        and p.tag.POS in ("NOUN", "ADJF", "PRTF")
        and (p.normal_form.replace("ё", "е") == low or p.tag.POS != "NOUN" or "plur" in p.tag)
    ]
    if not MORPH.word_is_known(low) or not parses:
        return None
    own = [p for p in parses if p.normal_form.replace("ё", "е") == low] or parses  # «Гренадины», not «гренадин»
    declining = [p for p in own if "Fixd" not in p.tag]
    return declining[0] if declining else "fixed"


# Russian declension of foreign names the dictionary does not know: -а/-я like «Лима», a consonant like
# «Рияд»; names ending in another vowel do not decline («Морсби», «Того»)
_ENDINGS = {
    "а": {"gent": "ы", "datv": "е", "accs": "у", "ablt": "ой", "loct": "е"},
    "я": {"gent": "и", "datv": "е", "accs": "ю", "ablt": "ей", "loct": "е"},
    "": {"gent": "а", "datv": "у", "accs": "", "ablt": "ом", "loct": "е"},
}


def _by_rule(word: str, case: str) -> str:
    if case == "nomn" or word[-1] in "оеиуюэьй" or not word[-1].isalpha() or word[-2:-1] in tuple("аеиоуыэюя"):
        return word
    if word[-1] in "ая":
        end = _ENDINGS[word[-1]][case]
        if end == "ы" and word[-2] in "гкхжшчщ":
            end = "и"
        if end == "ой" and word[-2] in "жшчщц":  # unstressed: «Подгорицей»
            end = "ей"
        return word[:-1] + end
    return word + _ENDINGS[""][case]


def _inflect_word(word: str, case: str) -> tuple[str, bool]:
    """(form, is_head_noun); hyphenated words inflect their last part ("Южно-Африканская")."""
    head, _, last = word.rpartition("-")
    parse = _nominative(last)
    if parse == "fixed":
        return word, False
    if parse is None:
        text, is_noun = (_by_rule(last, case), True) if not last.isupper() else (last, False)
    else:
        # place names are inanimate: «Соединенные Штаты» -> accusative «Соединенные Штаты»
        form = (parse.inflect({case, "inan"}) or parse.inflect({case})) if case != "nomn" else parse
        text, is_noun = (form.word if form else last), parse.tag.POS == "NOUN"
    text = text[:1].upper() + text[1:] if last[:1].isupper() else text
    declines = text.lower() != last.lower() or case == "nomn"
    return (f"{head}-{text}" if head else text), is_noun and (declines or parse is not None)


def inflect(name: str, case: str) -> str:
    """A Russian name in one case: agreeing adjectives and the head noun change, complements do not
    («Республикой Корея», «Соединенных Штатов Америки»); "и" starts a new conjunct."""
    out, done = [], False
    for word in name.split(" "):
        if word == "и":
            done = False
            out.append(word)
            continue
        if done or not re.search("[А-Яа-яЁё]", word):
            out.append(word)
            continue
        form, is_head = _inflect_word(word, case)
        out.append(form)
        done = is_head
    return " ".join(out)


def _expect(code: str, what: str, alias: str) -> tuple[str, str | None]:
    return EXCEPTIONS.get((code, what), (alias, code))


@pytest.mark.parametrize("code", UN)
def test_english_name(code: str) -> None:
    names = statedata.name_variants(EN[code])
    assert any(codes(n) == [code] for n in names), (code, names, [codes(n) for n in names])


@pytest.mark.parametrize("code", UN)
def test_english_capital(code: str) -> None:
    english, _ = CAPITALS[code]
    alias, want = _expect(code, "capital", sorted(english)[0])
    if (code, "capital") not in EXCEPTIONS:
        assert english, f"{code}: no capital in the library data"
        used = {n for n in english if n not in EXCLUDED}  # "San Jose" (California) is excluded, "San José" is not
        assert used and all(codes(n) == [code] for n in used), {n: codes(n) for n in english}
    else:
        assert codes(alias) == ([want] if want else [])


@pytest.mark.parametrize("code", UN)
def test_english_demonym(code: str) -> None:
    names = DEMONYMS.get(code) or []
    alias, want = _expect(code, "demonym", names[0] if names else "")
    assert alias, f"{code}: no demonym in the library data"
    assert codes(alias) == ([want] if want else []), alias


@pytest.mark.parametrize("code", UN)
def test_russian_name_six_cases(code: str) -> None:
    names = sorted(statedata.name_variants(RU[code]), key=len)
    forms = {case: inflect(names[0], case) for case in CASES}
    assert {case: codes(f) for case, f in forms.items()} == {case: [code] for case in CASES}, forms


@pytest.mark.parametrize("code", UN)
def test_russian_capital_six_cases(code: str) -> None:
    _, russian = CAPITALS[code]
    if (code, "capital") in EXCEPTIONS and EXCEPTIONS[(code, "capital")][1] is None:
        pytest.skip("capital deliberately excluded (see EXCEPTIONS)")
    assert russian, f"{code}: no Russian capital name in GeoNames or CLDR"
    forms = {case: inflect(russian, case) for case in CASES}
    assert {case: codes(f) for case, f in forms.items()} == {case: [code] for case in CASES}, forms


def test_inflection_helper_is_real() -> None:
    """The generator itself: multiword heads and complements decline the way Russian does."""
    assert inflect("Южно-Африканская Республика", "ablt") == "Южно-Африканской Республикой"
    assert inflect("Республика Корея", "gent") == "Республики Корея"
    assert inflect("Папуа — Новая Гвинея", "loct") == "Папуа — Новой Гвинее"
    assert inflect("Босния и Герцеговина", "datv") == "Боснии и Герцеговине"


def test_demonym_tie_goes_to_the_more_populous_state() -> None:
    assert codes("Congolese") == ["CD"] and codes("Chinese") == ["CN"] and codes("French") == ["FR"]


RU_ADJECTIVES = load_yaml((ROOT / "config" / "gazetteer.yaml").read_text(encoding="utf-8"))["demonyms"]


@pytest.mark.parametrize("code", UN)
def test_russian_adjective_in_config(code: str) -> None:
    """No package has Russian adjectives («чилийский»): config lists one per UN member, found in any form."""
    if code == "CG":
        pytest.skip("«конголезский» serves both Congos; like 'Congolese' it goes to the more populous CD")
    words = [w for w in RU_ADJECTIVES.get(code, []) if re.search("[а-яё]", w) and not w.endswith("о")]
    assert words, f"{code}: no Russian adjective in config/gazetteer.yaml"
    parse = next(p for p in MORPH.parse(words[0]) if p.tag.POS == "ADJF")
    forms = {parse.inflect({"femn", "ablt"}).word, parse.inflect({"plur", "gent"}).word, words[0]}
    assert {f: codes(f) for f in forms} == {f: [code] for f in forms}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Guinea variants: the longest name wins; "New Guinea" (the island) names no state
        ("Guinea", ["GN"]),
        ("Guinea-Bissau", ["GW"]),
        ("Equatorial Guinea", ["GQ"]),
        ("Papua New Guinea", ["PG"]),
        ("New Guinea", []),
        ("Гвинея-Бисау", ["GW"]),
        ("Экваториальной Гвинеи", ["GQ"]),
        # Niger and Nigeria, and their demonyms (countryinfo keeps 'Nigerien' and 'Nigerian' apart)
        ("Niger", ["NE"]),
        ("Nigeria", ["NG"]),
        ("Nigerien", ["NE"]),
        ("Nigerian", ["NG"]),
        ("Нигером", ["NE"]),
        ("Нигерией", ["NG"]),
        # two Congos: the qualified names are unambiguous; bare English "Congo" goes to the more populous CD,
        # bare Russian «Конго» is CLDR's and pycountry's short name of the Republic of the Congo (CG)
        ("Democratic Republic of the Congo", ["CD"]),
        ("Congo-Kinshasa", ["CD"]),
        ("Congo-Brazzaville", ["CG"]),
        ("Republic of the Congo", ["CG"]),
        ("Congo", ["CD"]),
        ("Конго", ["CG"]),
        ("ДРК", ["CD"]),
        # Georgia the state, not the US state in its usual contexts; Washington is the US either way
        ("Georgia", ["GE"]),
        ("Atlanta, Georgia", []),
        ("Georgia Tech", []),
        ("Washington", ["US"]),
        ("Washington state", []),
        # Dominica and the Dominican Republic share "Dominican": it is the more populous DO
        ("Dominica", ["DM"]),
        ("Dominican Republic", ["DO"]),
        ("Dominican", ["DO"]),
    ],
)
def test_ambiguous_library_data_is_handled_deliberately(text: str, expected: list[str]) -> None:
    assert codes(text) == expected
