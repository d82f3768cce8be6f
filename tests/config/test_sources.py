"""load_sources: the default config loads; bad configs fail naming file, source and field."""

from __future__ import annotations

import pathlib

import pytest

from parsers.config.sources import KNOWN_KINDS, load_sources
from parsers.errors import ConfigError, TreatywatchError
from parsers.models import Source

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT = REPO / "config" / "sources.yaml"


def write(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_config_loads() -> None:
    sources = load_sources(DEFAULT)
    by_id = {s.id: s for s in sources}
    assert len(by_id) == len(sources) >= 15
    seed = by_id["seed"]
    assert (seed.kind, seed.lang, seed.group, seed.full_text) == ("rss", "en", "seed", "never")
    assert (DEFAULT.parent / seed.url).is_file()  # relative to the sources file
    assert all(s.kind in KNOWN_KINDS for s in sources)
    assert all(s.group in {"legal", "news", "seed"} for s in sources)
    assert all(s.lang for s in sources)
    assert all(s.url.startswith(("http://", "https://")) for s in sources if s.id != "seed")
    assert "div.at p" in by_id["interfax"].body_selectors


def test_minimal_entry_gets_defaults(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "sources:\n  - {id: a, kind: rss, url: 'https://a.example/feed'}\n")
    assert load_sources(path) == [Source(id="a", kind="rss", url="https://a.example/feed")]


def test_full_entry(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path,
        """
sources:
  - id: b
    kind: rss
    url: feeds/local.xml
    lang: ru
    group: legal
    enabled: false
    full_text: always
    body_selectors: ["!.ads", "div.at p"]
""",
    )
    (src,) = load_sources(path)
    assert src == Source("b", "rss", "feeds/local.xml", "ru", "legal", False, ("!.ads", "div.at p"), "always")


OK = "id: a, kind: rss, url: 'https://a.example/f'"


@pytest.mark.parametrize(
    ("entries", "where", "field"),
    [
        ("- {id: a, kind: atom, url: 'https://a.example/f'}", "source 'a'", "kind"),
        ("- {id: a, url: 'https://a.example/f'}", "source 'a'", "kind"),
        ("- {kind: rss, url: 'https://a.example/f'}", "source #1", "id"),
        ("- {id: 'Bad Id', kind: rss, url: 'https://a.example/f'}", "source 'Bad Id'", "id"),
        ("- {id: a, kind: rss}", "source 'a'", "url"),
        ("- {id: a, kind: rss, url: 'ftp://a.example/f'}", "source 'a'", "url"),
        ("- {id: a, kind: rss, url: 'https://'}", "source 'a'", "url"),
        (f"- {{{OK}, lang: russian}}", "source 'a'", "lang"),
        (f"- {{{OK}, enabled: 'no'}}", "source 'a'", "enabled"),
        (f"- {{{OK}, full_text: sometimes}}", "source 'a'", "full_text"),
        (f"- {{{OK}, body_selectors: 'div.at'}}", "source 'a'", "body_selectors"),
        (f"- {{{OK}, body_selectors: ['p[[']}}", "source 'a'", "body_selectors"),
        (f"- {{{OK}, grup: legal}}", "source 'a'", "grup"),
        (f"- {{{OK}}}\n  - {{{OK}}}", "source 'a'", "id"),  # duplicate
        (f"- {{{OK}}}\n  - just-a-string", "source #2", ""),
        (f"- {{{OK}, horizon_days: -1}}", "source 'a'", "horizon_days"),
        (f"- {{{OK}, horizon_days: 'week'}}", "source 'a'", "horizon_days"),
        (f"- {{{OK}, listing: {{item: li}}}}", "source 'a'", "listing"),  # rss takes no listing
        ("- {id: a, kind: html, url: 'https://a.example/'}", "source 'a'", "listing"),
        ("- {id: a, kind: html, url: 'https://a.example/', listing: {item: 'li[['}}", "source 'a'", "listing"),
        ("- {id: a, kind: html, url: 'https://a.example/', listing: {item: li, colour: red}}", "source 'a'", "listing"),
        ("- {id: a, kind: pravo, url: 'http://p.example/api'}", "source 'a'", "pravo"),
        ("- {id: a, kind: pravo, url: 'http://p.example/api', pravo: {block: kremlin}}", "source 'a'", "pravo"),
        (
            "- {id: a, kind: pravo, url: 'http://p.example/api', pravo: {block: government, page_size: 50}}",
            "source 'a'",
            "pravo",
        ),
        (
            "- {id: a, kind: pravo, url: 'http://p.example/api', pravo: {block: government, mode: rss, page_size: 30}}",
            "source 'a'",
            "pravo",
        ),
        (
            "- {id: a, kind: pravo, url: 'http://p.example/api', pravo: {block: government, days: 0}}",
            "source 'a'",
            "pravo",
        ),
        (
            "- {id: a, kind: pravo, url: 'http://p.example/api', pravo: {block: government, document_types: x}}",
            "source 'a'",
            "pravo",
        ),
        (
            "- {id: a, kind: pravo, url: 'http://p.example/api', pravo: {block: government, sort: 6}}",
            "source 'a'",
            "pravo",
        ),
    ],
)
def test_bad_entries_name_file_source_and_field(tmp_path: pathlib.Path, entries: str, where: str, field: str) -> None:
    path = write(tmp_path, f"sources:\n  {entries}\n")
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    message = str(info.value)
    assert str(path) in message and where in message
    assert f"field '{field}'" in message if field else "mapping" in message


@pytest.mark.parametrize(
    "text",
    ["sources: [unclosed\n", "just a string\n", "sources: {id: a}\n", "other: []\n", ""],
)
def test_bad_files(tmp_path: pathlib.Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=str(path)):
        load_sources(path)


def test_missing_file_is_config_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(TreatywatchError, match=r"nope\.yaml"):
        load_sources(tmp_path / "nope.yaml")


def test_html_and_pravo_options_load(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path,
        """
sources:
  - {id: h, kind: html, url: 'https://h.example/', horizon_days: 0, listing: {item: li.story, date: time}}
  - {id: p, kind: pravo, url: 'http://p.example/api', pravo: {block: international, document_types: [Указ]}}
""",
    )
    html, pravo_ = load_sources(path)
    assert html.horizon_days == 0 and html.option("listing") == (("date", "time"), ("item", "li.story"))
    from parsers.documents.pravo import PravoQuery

    assert PravoQuery.of(pravo_) == PravoQuery(block="international", document_types=("Указ",))
    assert pravo_.horizon_days is None and pravo_.option("listing") is None


def test_default_config_has_pravo_api_sources() -> None:
    from parsers.documents.pravo import PravoQuery

    pravo_ = [s for s in load_sources(DEFAULT) if s.kind == "pravo"]
    assert {PravoQuery.of(s).block for s in pravo_} >= {"government", "president", "international"}
    assert all(s.url == "http://publication.pravo.gov.ru/api" for s in pravo_)
