"""The compiled extractor on disk: reused when its inputs are unchanged, rebuilt when they change."""

from __future__ import annotations

import logging
import pickle
import shutil
import subprocess
import sys

import pytest

from flows import extractor_cache
from flows.extractor_cache import cache_key, default_cache_dir, load_cached_extractor
from parsers.models import ExtractionInput
from tests.support import REPO

DOC = ExtractionInput(
    text="Norway has terminated its agreement on military cooperation with Russia, the ministry said.", lang="en"
)


@pytest.fixture
def config(tmp_path):
    """A private copy of config/ (rules, gazetteer, officials, registry) that a test may edit."""
    dest = tmp_path / "config"
    shutil.copytree(REPO / "config" / "rules", dest / "rules")
    shutil.copytree(REPO / "config" / "registry", dest / "registry")
    shutil.copy(REPO / "config" / "gazetteer.yaml", dest / "gazetteer.yaml")
    shutil.copy(REPO / "config" / "officials.yaml", dest / "officials.yaml")
    extractor_cache._load.cache_clear()
    yield dest
    extractor_cache._load.cache_clear()


def _files(folder):
    return sorted(folder.glob("extractor-*.pickle"))


def test_second_load_reads_the_file_without_rebuilding(config, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = load_cached_extractor(config, cache)
    assert len(_files(cache)) == 1
    extractor_cache._load.cache_clear()

    def no_build(_):  # a cache hit must not rebuild
        raise AssertionError("rebuilt although the cache file was valid")

    monkeypatch.setattr(extractor_cache, "load_extractor", no_build)
    again = load_cached_extractor(config, cache)
    assert again is not first
    assert again.version == first.version
    assert [e.to_json() for e in again.extract(DOC)] == [e.to_json() for e in first.extract(DOC)]
    assert [e.actor for e in again.extract(DOC)] == ["NO"]


def test_a_rules_change_builds_a_new_extractor(config, tmp_path):
    cache = tmp_path / "cache"
    before = load_cached_extractor(config, cache)
    assert (
        before.extract(ExtractionInput(text="Norway has zorbled its defence agreement with Russia.", lang="en")) == []
    )
    rules = config / "rules" / "termination.en.yaml"
    text = rules.read_text(encoding="utf-8")
    assert "triggers: [" in text
    rules.write_text(text.replace("triggers: [", "triggers: [zorble, ", 1), encoding="utf-8")  # the first rule

    after = load_cached_extractor(config, cache)
    assert after.version != before.version
    assert len(_files(cache)) == 2
    events = after.extract(ExtractionInput(text="Norway has zorbled its defence agreement with Russia.", lang="en"))
    assert [(e.actor, e.counterparts) for e in events] == [("NO", ("RU",))]


def test_a_gazetteer_change_changes_the_key(config):
    key = cache_key(config)
    gaz = config / "gazetteer.yaml"
    gaz.write_text(gaz.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert cache_key(config) != key


@pytest.mark.parametrize("name", ["officials.yaml", "registry/bodies.yaml"])
def test_an_officials_or_registry_change_builds_a_new_extractor(config, tmp_path, name):
    """Officials and registry entries go into the gazetteer: an edit must not be served a stale pickle."""
    cache = tmp_path / "cache"
    load_cached_extractor(config, cache)
    key = cache_key(config)
    path = config / name
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert cache_key(config) != key
    load_cached_extractor(config, cache)
    assert len(_files(cache)) == 2


def test_a_new_registry_file_changes_the_key(config):
    key = cache_key(config)
    (config / "registry" / "extra.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert cache_key(config) != key


def test_a_corrupt_cache_file_is_ignored_and_replaced(config, tmp_path, caplog):
    cache = tmp_path / "cache"
    load_cached_extractor(config, cache)
    (path,) = _files(cache)
    path.write_bytes(b"\x80\x05not a pickle at all")
    extractor_cache._load.cache_clear()
    with caplog.at_level(logging.WARNING, logger="flows.extractor_cache"):
        extractor = load_cached_extractor(config, cache)
    assert "ignored" in caplog.text
    assert [e.actor for e in extractor.extract(DOC)] == ["NO"]
    assert isinstance(pickle.loads(path.read_bytes()), type(extractor))  # rewritten whole


def test_a_cache_holding_another_object_is_ignored(config, tmp_path):
    cache = tmp_path / "cache"
    load_cached_extractor(config, cache)
    (path,) = _files(cache)
    path.write_bytes(pickle.dumps({"not": "an extractor"}))
    extractor_cache._load.cache_clear()
    assert [e.actor for e in load_cached_extractor(config, cache).extract(DOC)] == ["NO"]


def test_cache_dir_from_the_environment(tmp_path):
    assert default_cache_dir({"TREATYWATCH_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "treatywatch"
    assert default_cache_dir({"TREATYWATCH_CACHE_DIR": "off"}) is None


def test_a_new_process_loads_from_the_cache_without_pymorphy(config, tmp_path):
    """The point of the cache: a second start does not load the morphology dictionaries."""
    code = (
        "import sys, pathlib; from flows.extractor_cache import load_cached_extractor; "
        f"load_cached_extractor(pathlib.Path({str(config)!r}), pathlib.Path({str(tmp_path / 'c')!r})); "
        "print('pymorphy3' in sys.modules)"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
        for _ in range(2)
    ]
    assert [r.stdout.strip() for r in runs] == ["True", "False"]
