"""Every configured source parses its real format: a fixture shaped like public samples of that endpoint.

The fixtures are our own minimal files with the structure and field names of each endpoint (see
tests/fixtures/sources/index.yaml); a source added to config/sources.yaml must come with one.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml

from parsers.config.sources import load_hosts, load_sources
from parsers.documents import json_api, pravo
from parsers.documents.feeds import parse_feed
from parsers.models import FetchedDocument, Item, Source
from tests.support import FIXTURES, REPO

SOURCES = load_sources(REPO / "config" / "sources.yaml")
INDEX = yaml.safe_load((FIXTURES / "sources" / "index.yaml").read_text(encoding="utf-8"))


def parse(source: Source, body: bytes) -> list[Item]:
    doc = FetchedDocument(url=source.url, final_url=source.url, status=200, body=body)
    if source.kind == "json":
        result = json_api.parse_json(doc, source).result
    elif source.kind == "pravo" and pravo.PravoQuery.of(source).mode == "documents":
        result = pravo.parse_documents(doc, source).result
    elif source.kind == "pravo":
        result = pravo.parse_rss(doc, source)
    else:
        result = parse_feed(doc, source)
    assert result.error is None, result.error
    return list(result.items)


def test_every_configured_source_has_a_fixture():
    assert sorted(INDEX) == sorted(s.id for s in SOURCES)


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.id)
def test_fixture_parses_into_items_with_title_url_date_and_text(source: Source):
    body = (FIXTURES / "sources" / INDEX[source.id]).resolve().read_bytes()
    items = parse(source, body)
    assert items
    for item in items:
        assert item.title.strip() and item.text.strip()
        assert item.url.startswith(("http://", "https://")) or source.group == "seed"
        assert isinstance(item.published, datetime) and item.published.tzinfo is not None


def test_pravo_rss_heading_on_the_title_line_becomes_the_text():
    source = next(s for s in SOURCES if s.id == "pravo-government")
    first, second = parse(source, (FIXTURES / "sources" / "pravo-rss.xml").read_bytes())
    assert first.title == "Распоряжение Правительства Российской Федерации от 01.12.2026 № 3901-р"
    assert first.text.startswith("О прекращении действия Соглашения") and "Номер опубликования" not in first.text
    assert second.text.startswith("О ратификации Соглашения")  # the quote around the heading is dropped
    assert first.published.day == 2 and first.url == "https://publication.pravo.gov.ru/document/0001202612020011"


def test_pravo_documents_heading_without_stray_quote_or_from_complex_name():
    source = next(s for s in SOURCES if s.id == "pravo-api-treaty-laws")
    law, denunciation = parse(source, (FIXTURES / "sources" / "pravo-documents.json").read_bytes())
    assert law.text.startswith("О ратификации Соглашения") and not law.text.startswith('"')
    assert denunciation.text == "О денонсации Российской Федерацией Конвенции о защите прав человека и основных свобод"


def test_uk_treaties_items_carry_department_and_a_stable_link():
    source = next(s for s in SOURCES if s.id == "uk-treaties")
    defence, notes = parse(source, (FIXTURES / "sources" / "uk-treaties.json").read_bytes())
    assert defence.url == "https://treaties.parliament.uk/treaty/Cy2Example1/"
    assert "Ministry of Defence" in defence.text and defence.published.year == 2026
    assert notes.title.startswith("Exchange of Notes terminating")


def test_touchy_hosts_have_their_own_manners():
    hosts = load_hosts(REPO / "config" / "sources.yaml")
    assert hosts["kremlin.ru"].timeout >= 60 and hosts["kremlin.ru"].concurrency == 1
    assert hosts["kremlin.ru"].min_interval > 0
    assert "Mozilla" in (hosts["eur-lex.europa.eu"].user_agent or "")
    by_id = {s.id: s for s in SOURCES}
    assert not by_id["mid-ru"].enabled and not by_id["nato"].enabled and by_id["tass-ru"].full_text == "never"
