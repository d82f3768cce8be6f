"""The `json` source kind, per-host manners and challenge detection, against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner
from werkzeug import Response

from flows.cli.app import app
from flows.ingest.collect import FetchContext, collect_source
from flows.ingest.fetch import FetchPolicy, HostLimiter, host_of, make_client
from flows.store.storage import SourceState
from parsers.config.sources import HostSettings, load_hosts, load_sources
from parsers.documents import json_api
from parsers.errors import ConfigError
from parsers.models import FetchedDocument, Source
from tests.support import FIXTURES

POLICY = FetchPolicy(connect_timeout=2, read_timeout=2, total_timeout=5, max_bytes=1_000_000)
SPEC = {
    "items": "items",
    "item": "value",
    "id": "id",
    "title": "name",
    "url": "https://t.example/{id}/",
    "date": "laidDate",
    "text": ["leadDepartment.name"],
    "paging": {"param": "Skip", "size_param": "Take", "size": 2, "max_pages": 5, "total": "totalResults"},
}


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


def write_sources(tmp: Path, body: str) -> Path:
    path = tmp / "sources.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def json_source(tmp: Path, url: str, spec: dict | None = None) -> Source:
    text = (
        f'sources:\n  - id: api\n    kind: json\n    url: "{url}"\n    lang: en\n    json: {json.dumps(spec or SPEC)}\n'
    )
    return load_sources(write_sources(tmp, text))[0]


def ctx(client, limiter: HostLimiter | None = None) -> FetchContext:
    return FetchContext(client, POLICY, Path("."), limiter or HostLimiter(), datetime.now(UTC))


def record(n: int) -> dict:
    return {
        "value": {
            "id": f"T{n}",
            "name": f"Treaty number {n}",
            "laidDate": f"2026-11-2{n % 10}T00:00:00",
            "leadDepartment": {"name": "Ministry of Defence"},
        }
    }


def test_json_pages_through_an_offset_api(httpserver, tmp_path):
    rows = [record(n) for n in range(5)]

    def page(request):
        skip, take = int(request.args["Skip"]), int(request.args["Take"])
        return Response(
            json.dumps({"items": rows[skip : skip + take], "totalResults": len(rows)}), content_type="application/json"
        )

    httpserver.expect_request("/api/Treaty").respond_with_handler(page)
    source = json_source(tmp_path, httpserver.url_for("/api/Treaty") + "?SearchText=defence")
    with make_client(POLICY) as client:
        got = collect_source(source, SourceState(), ctx(client))
    assert got.record.error_kind is None and got.record.items == 5
    assert [i.guid for i in got.items] == [f"T{n}" for n in range(5)]
    assert got.items[0].url == "https://t.example/T0/" and "Ministry of Defence" in got.items[0].text
    asked = [(r.args["Skip"], r.args["SearchText"]) for r, _ in httpserver.log]
    assert asked == [("0", "defence"), ("2", "defence"), ("4", "defence")]  # stops at totalResults

    with make_client(POLICY) as client:  # the same answers next run: unchanged, nothing parsed again
        again = collect_source(source, SourceState(body_hash=got.record.body_hash), ctx(client))
    assert again.unchanged and again.items == ()


@pytest.mark.parametrize(
    "body, kind",
    [
        (b"<!DOCTYPE html><html><body>maintenance</body></html>", "not_a_feed"),
        (b'{"results": []}', "parse"),  # schema drift: the declared list is gone
        (b"{not json", "parse"),
    ],
)
def test_json_answers_that_do_not_fit_are_classified(tmp_path, body, kind):
    source = json_source(tmp_path, "https://api.example/list")
    doc = FetchedDocument(url=source.url, final_url=source.url, status=200, body=body)
    assert json_api.parse_json(doc, source).result.error.kind == kind


def test_json_entries_without_id_are_counted_and_links_stay_http(tmp_path):
    spec = {**SPEC, "url": "link"}
    source = json_source(tmp_path, "https://api.example/list", spec)
    body = json.dumps(
        {
            "items": [
                {"value": {"id": "A", "name": "Ok", "link": "javascript:alert(1)"}},
                {"value": {"name": "no id"}},
                "junk",
            ]
        }
    ).encode()
    result = json_api.parse_json(FetchedDocument(url="u", final_url="u", status=200, body=body), source).result
    assert [i.guid for i in result.items] == ["A"] and result.items[0].url == ""
    assert len(result.warnings) == 2


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"items": "items"}, "key 'id' must be a field path"),
        ({**SPEC, "colour": "x"}, "unknown key 'colour'"),
        ({**SPEC, "paging": {"param": "page", "style": "sideways"}}, "'style' must be offset or page"),
    ],
)
def test_json_mapping_errors_name_the_key(tmp_path, spec, words):
    with pytest.raises(ConfigError, match=words):
        json_source(tmp_path, "https://api.example/list", spec)


def test_host_settings_are_validated(tmp_path):
    ok = write_sources(
        tmp_path, "sources: []\nhosts:\n  slow.example: {timeout: 60, concurrency: 1, min_interval: 2}\n"
    )
    assert load_hosts(ok) == {"slow.example": HostSettings(timeout=60, concurrency=1, min_interval=2.0)}
    for bad, words in (
        ("  slow.example: {speed: 3}", "unknown"),
        ("  https://x: {timeout: 3}", "not a host"),
        ("  x.example: {concurrency: 0}", "whole number >= 1"),
        ('  x.example: {user_agent: "a\\nb"}', "one line"),
    ):
        with pytest.raises(ConfigError, match=words):
            load_hosts(write_sources(tmp_path, f"sources: []\nhosts:\n{bad}\n"))


def test_a_host_gets_its_own_user_agent_concurrency_and_spacing(httpserver, tmp_path):
    seen, lock, inside, peak = [], threading.Lock(), [0], [0]

    def slow(request):
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
            seen.append((time.monotonic(), request.headers.get("User-Agent")))
        time.sleep(0.05)
        with lock:
            inside[0] -= 1
        return Response((FIXTURES / "sources" / "agency-rss.xml").read_bytes(), content_type="application/rss+xml")

    httpserver.expect_request("/feed.xml").respond_with_handler(slow)
    host = host_of(httpserver.url_for("/feed.xml"))  # the session server may be on "localhost" (an earlier module)
    limiter = HostLimiter(
        per_host=8, hosts={host: HostSettings(concurrency=1, min_interval=0.2, user_agent="Browser/1.0")}
    )
    sources = [Source(id=f"s{n}", kind="rss", url=httpserver.url_for("/feed.xml")) for n in range(4)]
    with make_client(POLICY) as client:
        c = ctx(client, limiter)
        threads = [threading.Thread(target=collect_source, args=(s, SourceState(), c)) for s in sources]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert len(seen) == 4 and peak[0] == 1  # one at a time
    assert {ua for _, ua in seen} == {"Browser/1.0"}


def test_request_starts_to_a_paced_host_are_spaced_by_min_interval():
    now, slept = [100.0], []

    def sleep(seconds: float) -> None:  # a fake clock: sleeping advances it, nothing waits
        slept.append(round(seconds, 3))
        now[0] += seconds

    limiter = HostLimiter(hosts={"slow.example": HostSettings(min_interval=2.0)}, clock=lambda: now[0], sleep=sleep)
    starts = []
    for elapsed in (0.5, 0.0, 3.0):  # each request takes `elapsed` seconds
        with limiter.slot("https://slow.example/feed"):
            starts.append(now[0])
            now[0] += elapsed
    with limiter.slot("https://other.example/feed"):  # another host is not paced
        pass
    assert starts == [100.0, 102.0, 104.0] and slept == [1.5, 2.0]


def test_a_firewall_challenge_is_its_own_failure_kind(httpserver):
    httpserver.expect_request("/rss").respond_with_response(
        Response(b"", status=202, headers={"x-amzn-waf-action": "challenge"})
    )
    source = Source(id="eurlex", kind="rss", url=httpserver.url_for("/rss"))
    with make_client(POLICY) as client:
        got = collect_source(source, SourceState(), ctx(client))
    assert got.record.error_kind == "challenge" and "firewall" in got.record.error


def test_probe_prints_one_verdict_per_source_and_stores_nothing(httpserver, tmp_path):
    httpserver.expect_request("/ok.xml").respond_with_data(
        (FIXTURES / "sources" / "agency-rss.xml").read_bytes(), content_type="application/rss+xml"
    )
    httpserver.expect_request("/forbidden.xml").respond_with_data("no", status=403)
    httpserver.expect_request("/wall.xml").respond_with_data(
        (FIXTURES / "feeds" / "bot-challenge.html").read_bytes(), content_type="text/html"
    )
    sources = write_sources(
        tmp_path,
        "sources:\n"
        + "".join(
            f'  - {{id: {name}, kind: rss, url: "{httpserver.url_for(f"/{name}.xml")}"{extra}}}\n'
            for name, extra in (("ok", ""), ("forbidden", ""), ("wall", ", enabled: false"))
        ),
    )
    result = CliRunner().invoke(
        app, ["sources", "--probe", "--sources", str(sources), "--db", str(tmp_path / "x.duckdb")]
    )
    lines = {line.split()[1]: line for line in result.output.splitlines() if line[:4] in ("ok  ", "FAIL")}
    assert lines["ok"].startswith("ok") and "with 1 items" in lines["ok"]
    assert lines["forbidden"].startswith("FAIL") and "HTTP 403" in lines["forbidden"]
    assert "challenge" in lines["wall"] and "(disabled)" in lines["wall"]
    assert result.exit_code == 1  # an enabled source failed
    assert not (tmp_path / "x.duckdb").exists()
