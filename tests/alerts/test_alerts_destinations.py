"""Alert destinations: apprise YAML and env URLs become tagged, masked Destinations."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from flows.alerts.destinations import (
    CONSOLE,
    DEFAULT_TAGS,
    AlertConfigError,
    Destination,
    load_destinations,
    mask_query,
    routes,
    scrub,
    url_secrets,
)
from parsers.errors import ConfigError, TreatywatchError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"


def by_channel(dests: list[Destination]) -> dict[str, list[Destination]]:
    out: dict[str, list[Destination]] = {}
    for d in dests:
        out.setdefault(d.channel, []).append(d)
    return out


def test_yaml_tags_are_parsed_per_url():
    dests = load_destinations(FIXTURES / "tags.yml", None)
    mails = [d for d in dests if d.channel == "email"]
    assert len(dests) == 5
    assert mails[0].tags == {"termination", "health"}
    assert [d.tags for d in mails[1:]] == [{"health"}, {"always"}]
    assert by_channel(dests)["slack"][0].tags == {"partnership"}
    assert by_channel(dests)["generic"][0].tags == DEFAULT_TAGS


def test_yaml_items_of_one_entry_get_distinct_keys():
    keys = [d.key for d in load_destinations(FIXTURES / "tags.yml", None)]
    assert len(set(keys)) == len(keys)
    assert all(len(k) == 16 and int(k, 16) >= 0 for k in keys)


@pytest.mark.parametrize(
    ("env", "tags", "channel"),
    [
        ("termination=json://127.0.0.1:9/hook", {"termination"}, "generic"),
        (
            "termination,health=mailto://u:pw99@127.0.0.1:25?from=a@example.com&to=b@example.com",
            {"termination", "health"},
            "email",
        ),
        ("slack://T000AAAA/B000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX/#chan", DEFAULT_TAGS, "slack"),
        ("json://127.0.0.1:9/hook", DEFAULT_TAGS, "generic"),
    ],
)
def test_env_url_with_and_without_tags(env, tags, channel):
    [dest] = load_destinations(None, env)
    assert dest.tags == tags
    assert dest.channel == channel


def test_env_key_is_sha256_of_the_url_as_written():
    url = "json://127.0.0.1:9/hook?rto=3"
    [dest] = load_destinations(None, f"termination={url}")
    assert dest.key == hashlib.sha256(url.encode()).hexdigest()[:16]


def test_env_splits_on_any_whitespace_and_merges_duplicates():
    env = "\n termination=json://127.0.0.1:9/a\tpartnership=json://127.0.0.1:9/a \n json://127.0.0.1:9/b\n"
    dests = load_destinations(None, env)
    assert [d.tags for d in dests] == [{"termination", "partnership"}, DEFAULT_TAGS]


def test_file_and_env_are_combined():
    dests = load_destinations(FIXTURES / "tags.yml", "partnership=json://127.0.0.1:9/partners")
    assert len(dests) == 6
    assert dests[-1].tags == {"partnership"} and dests[-1] in routes(dests, "partnership")


@pytest.mark.parametrize(
    ("alerts_file", "env"),
    [(None, None), (None, ""), (None, "  \n\t"), (FIXTURES / "empty.yml", None), (FIXTURES / "empty.yml", " ")],
)
def test_no_urls_means_console(alerts_file, env):
    assert load_destinations(alerts_file, env) == [CONSOLE]
    assert CONSOLE.channel == "console" and CONSOLE.display == "console://"
    assert {"termination", "partnership", "health"} <= CONSOLE.tags


@pytest.mark.parametrize(
    ("env", "secret", "index", "schema"),
    [
        ("json://127.0.0.1:9/ok slack://T000AAAA/SecretTokenB77", "SecretTokenB77", 2, "slack://"),
        ("notaservice://admin:hunter2pass@example.org/x", "hunter2pass", 1, "notaservice://"),
        ("termination=slack://TopSecretA1", "TopSecretA1", 1, "slack://"),
        ("json://127.0.0.1:9/ok not-a-url-at-all", "not-a-url-at-all", 2, ""),
    ],
)
def test_invalid_env_url_raises_without_secret(env, secret, index, schema):
    with pytest.raises(ConfigError) as info:
        load_destinations(None, env)
    message = str(info.value)
    assert "TREATYWATCH_APPRISE_URLS" in message
    assert f"entry {index}" in message and info.value.index == index
    assert schema in message
    assert secret not in message


@pytest.mark.parametrize(
    ("name", "secret", "where"),
    [
        ("bad-url.yml", "SecretTokenB77", "entry 2"),
        ("unknown-schema.yml", "hunter2pass", "entry 1"),
        ("broken.yml", "hunter2pass", "line 4"),
    ],
)
def test_invalid_file_raises_naming_file_without_secret(name, secret, where):
    with pytest.raises(AlertConfigError) as info:
        load_destinations(FIXTURES / name, None)
    message = str(info.value)
    assert name in message and where in message
    assert secret not in message
    assert isinstance(info.value, TreatywatchError)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- just a list\n", "mapping"),
        ("version: 2\nurls: []\n", "version"),
        ("urls: json://x/y\n", "list"),
        ("include: http://example.org/a.yml\n", "include"),
    ],
)
def test_unsupported_yaml_shapes_are_config_errors(tmp_path, text, fragment):
    path = tmp_path / "alerts.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment):
        load_destinations(path, None)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="missing.yml"):
        load_destinations(tmp_path / "missing.yml", None)


@pytest.mark.parametrize(
    "env",
    [
        "mailto://alerts:mailpass123@127.0.0.1:2525?from=a@example.com&to=b@example.com",
        "json://user:jsonpass456@127.0.0.1:9/hook?+X-Token=headersecret789",
        "slack://T000AAAA/B000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX/#chan",
    ],
)
def test_display_and_repr_hide_secrets(env):
    [dest] = load_destinations(None, env)
    for secret in ("mailpass123", "jsonpass456", "headersecret789", "XXXXXXXXXXXXXXXXXXXXXXXX"):
        assert secret not in dest.display
        assert secret not in repr(dest)
    assert dest.display.split("://")[0] == env.split("://")[0]


def test_real_url_keeps_secret_and_gets_default_timeouts_unless_set():
    [plain] = load_destinations(None, "json://user:jsonpass456@127.0.0.1:9/hook")
    [tuned] = load_destinations(None, "json://127.0.0.1:9/hook?cto=1.5&rto=2.5")
    assert "jsonpass456" in plain.url and "cto=5.0" in plain.url and "rto=10.0" in plain.url
    assert "cto=1.5" in tuned.url and "rto=2.5" in tuned.url


def test_mask_query_masks_credential_like_parameters():
    masked = mask_query("json://h/p?method=POST&+Auth=abc&token=def&:field=ghi&apikey=jkl")
    assert "method=POST" in masked
    assert not any(s in masked for s in ("abc", "def", "ghi", "jkl"))


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("termination", ["mail", "all"]),
        ("partnership", ["chat", "all"]),
        ("health", ["mail", "all"]),
        ("digest", ["all"]),
        ("nothing", ["all"]),
    ],
)
def test_routes_by_tag(tag, expected):
    def dest(name: str, tags: set[str]) -> Destination:
        return Destination(key=name, tags=frozenset(tags), channel="generic", display=name, url=name)

    dests = [dest("mail", {"termination", "health"}), dest("chat", {"partnership"}), dest("all", {"always"})]
    assert [d.key for d in routes(dests, tag)] == expected


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("mailto://user:s3cr3t@smtp.example.org:25?to=b@example.org", {"s3cr3t"}),
        ("slack://TAAAA1111/BBBBB2222/CCCCCCCC3333/#chan", {"TAAAA1111", "BBBBB2222", "CCCCCCCC3333"}),
        ("json://h.example.org/p?+X-Token=tok%2Fen99", {"tok/en99", "tok%2Fen99"}),
    ],
)
def test_scrub_removes_every_secret_part_of_a_url(url, secrets):
    [dest] = load_destinations(None, url)
    found = url_secrets(dest.url, keep=dest.display)
    text = "failed at " + " and ".join(sorted(secrets)) + " via " + dest.url
    cleaned = scrub(text, found)
    assert not any(s in cleaned for s in secrets)


@pytest.mark.parametrize(
    ("alerts_yaml", "env", "where"),
    [
        (
            'version: 1\nurls:\n  - "json://127.0.0.1:9/hook":\n      - tag: terminaton, health\n',
            None,
            "alerts.yml: entry 1",
        ),
        (None, "json://127.0.0.1:9/ok terminaton=json://127.0.0.1:9/hook", "TREATYWATCH_APPRISE_URLS: entry 2"),
    ],
)
def test_an_unknown_tag_is_an_error_listing_the_known_ones(tmp_path, alerts_yaml, env, where):
    path = None
    if alerts_yaml:
        path = tmp_path / "alerts.yml"
        path.write_text(alerts_yaml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_destinations(path, env)
    message = str(caught.value)
    assert where in message
    assert "unknown tag(s) 'terminaton' (did you mean 'termination'?)" in message
    assert "known tags: always, health, partnership, termination" in message
