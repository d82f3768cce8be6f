"""load_sources: the default config loads; bad configs fail naming file, source and field."""

from __future__ import annotations

import pathlib

import pytest

from parsers.errors import ConfigError, TreatywatchError
from parsers.models import Source
from parsers.sources import IMPLEMENTED_KINDS, load_sources

REPO = pathlib.Path(__file__).resolve().parents[1]
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
    assert all(s.kind in IMPLEMENTED_KINDS for s in sources)
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
    ],
)
def test_bad_entries_name_file_source_and_field(
    tmp_path: pathlib.Path, entries: str, where: str, field: str
) -> None:
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
