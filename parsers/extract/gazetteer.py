"""Country and organisation names -> ISO 3166-1 alpha-2 / org codes, matched on tokens.

Names come from pycountry (English, plus Russian from its iso3166-1 locale),
`config/gazetteer.yaml` (states) and the registry of organisations and treaty regimes
(`config/registry/`, parsers/extract/registry.py). Russian words are expanded to all inflected forms once at load, so
matching is a walk over a token trie with no morphology at extraction time.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import compress, count
from operator import itemgetter
from typing import Any, NamedTuple

from parsers.errors import ConfigError
from parsers.extract.morph import Inflector
from parsers.extract.officials import Person, Term, resolve
from parsers.extract.prefilter import anchor_of
from parsers.extract.registry import Body, Registry
from parsers.extract.statedata import StateName, library_states, populations
from parsers.extract.text import Token

KINDS = ("names", "metonyms", "demonyms", "multi")  # organisations and treaties: the registry; leaders: officials.yaml
# not_states: phrases that contain a state name but mean something else ("New Mexico", "Georgia Tech");
# exclude: library aliases we deliberately do not use ("Victoria" is a state of Australia and a first name)
EXTRA = ("groups", "not_states", "exclude")
STATE_KINDS = frozenset({"name", "metonym", "demonym", "leader", "multi"})
_END = "\0"
_TEXT = itemgetter(0)  # a Token's folded text


class Mention(NamedTuple):
    """One matched name: token range [start, end) in the sentence's token list (a tuple: cheap to make)."""

    codes: tuple[str, ...]
    kind: str  # name | metonym | demonym | leader | org | multi | body
    start: int
    end: int
    label: str = ""

    @property
    def is_state(self) -> bool:
        return self.kind in STATE_KINDS


@dataclass(frozen=True, slots=True)
class _Entry:
    codes: tuple[str, ...]
    kind: str
    case: str  # "upper" (acronym), "title" (first letter upper) or "any"
    label: str
    terms: tuple[Term, ...] = ()  # leaders: the posts behind the name, resolved per document date

    def __reduce__(self) -> tuple:
        """Pickled as its constructor call: a slotted dataclass's default __setstate__ costs several
        times more, and the cached extractor holds thousands of entries."""
        return (_Entry, (self.codes, self.kind, self.case, self.label, self.terms))


def _case_of(alias: str) -> str:
    letters = [c for c in alias if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return "upper"
    return "title" if letters and letters[0].isupper() else "any"


class Gazetteer:
    """Token-trie matcher for state, organisation and multilateral-body names."""

    def __init__(
        self,
        data: dict[str, Any],
        inflector: Inflector,
        source: str = "gazetteer.yaml",
        registry: Registry | None = None,
        library: Sequence[StateName] = (),
        population: dict[str, int] | None = None,
        officials: Sequence[Person] = (),
    ) -> None:
        self.registry = registry if registry is not None else Registry(())
        self._trie: dict[str, Any] = {}
        self._forms: dict[str, set[str]] = {}  # word form -> the alias words it inflects (while building)
        # the rarest word's forms of every name that may be an organisation or a treaty body (prefilter.py);
        # None once a name has no word to test
        self.body_names: frozenset[str] | None = frozenset()
        self.groups: dict[str, frozenset[str]] = {g: frozenset(m) for g, m in (data.get("groups") or {}).items()}
        self._inflector = inflector
        self._add_library(library, population or {}, data, source)
        for kind in KINDS:
            section = data.get(kind) or {}
            if not isinstance(section, dict):
                raise ConfigError(f"{source}: '{kind}' must map codes to lists of names")
            for key, values in section.items():
                if kind == "multi":
                    self._add(str(key), tuple(values), "multi")
                    continue
                if not isinstance(values, list):
                    raise ConfigError(f"{source}: {kind}.{key} must be a list")
                for name in values:
                    self._add(str(name), (str(key),), kind.rstrip("s") if kind != "names" else "name")
        for person in officials:
            for name in person.names:
                self._add_official(name, person.terms)
        for body in self.registry:
            codes, kind = _registry_mention(body)
            for name in body.names:
                self._add(name, codes, kind)
        # word form -> the trie roots it can open, for the forms that start some name ("the", "chile"):
        # middle words ("of", ",") and others start nothing, so `find` skips them without a trie walk
        # Sorted, not in set order: where two names end on the same token the later one wins, and a
        # set's order changes with PYTHONHASHSEED ("российском" ends both «российский» and «российско»)
        self._keys: dict[str, tuple[str, ...]] = {form: tuple(sorted(ks)) for form, ks in self._forms.items()}
        del self._forms
        self._starts: dict[str, list[dict[str, Any]]] = {}
        for form, ks in self._keys.items():
            roots = [self._trie[k] for k in ks if k in self._trie]
            if roots:
                self._starts[form] = roots

    def _add_library(
        self, library: Sequence[StateName], population: dict[str, int], data: dict[str, Any], source: str
    ) -> None:
        """Package aliases; one several states claim goes to the most populous ("Congolese" -> CD)."""
        for kind in ("exclude", "not_states"):
            if not isinstance(data.get(kind) or [], list):
                raise ConfigError(f"{source}: '{kind}' must be a list of names")
        excluded = {self._key(str(n)) for n in data.get("exclude") or ()}
        owner: dict[str, str] = {}
        for item in library:
            key = self._key(item.alias)
            best = owner.get(key)
            if best is None or population.get(item.code, 0) > population.get(best, 0):
                owner[key] = item.code
        for item in library:
            key = self._key(item.alias)
            if key not in excluded and owner[key] == item.code:
                self._add(item.alias, (item.code,), item.kind)
        for name in data.get("not_states") or ():
            self._add(str(name), (), "none")

    def _add_official(self, name: str, terms: tuple[Term, ...]) -> None:
        """A leader's name; two people sharing a surname share the entry and the date decides."""
        node = self._path(name)
        old = node.get(_END)
        if old is not None and old.kind == "leader":
            terms = old.terms + terms
        node[_END] = _Entry((), "leader", _case_of(name), name, terms)
        if not all(_is_state(t.code) for t in terms):
            # a leader's post may be an organisation's (Rutte at NATO): the prefilter must let the name through
            # as a body; a name that only ever stands for states needs no such pass
            self._note_body(name)

    def _key(self, name: str) -> str:
        return name.casefold().replace("ё", "е")

    def _add(self, alias: str, codes: tuple[str, ...], kind: str) -> None:
        entry = _Entry(codes, kind, _case_of(alias) if kind != "demonym" or alias[:1].isupper() else "any", alias)
        self._path(alias)[_END] = entry  # later (config) entries override package ones
        if kind in ("org", "body"):
            self._note_body(alias)

    def _note_body(self, alias: str) -> None:
        if self.body_names is not None:
            anchor = anchor_of(self._inflector.phrase(alias, proper=True))
            self.body_names = None if anchor is None else self.body_names | anchor

    def _path(self, alias: str) -> dict[str, Any]:
        """The trie node of an alias, created with every inflected form of each word."""
        node = self._trie
        for forms in self._inflector.phrase(alias, proper=True):
            key = min(forms, key=len) if len(forms) == 1 else "~" + "|".join(sorted(forms))[:40]
            for form in forms:
                self._forms.setdefault(form, set()).add(key)
            node = node.setdefault(key, {})
        return node

    def find(self, tokens: list[Token], raw: str, on: date | None = None) -> list[Mention]:
        """Longest non-overlapping mentions, left to right; leaders resolve against `on` (publication date).

        Only tokens that can open a name ("the", "chile", not "of" or ",") start a trie walk; they
        are picked in C (map/compress), so the Python loop skips the rest of the sentence.
        """
        out: list[Mention] = []
        n = len(tokens)
        keys = self._keys
        starts = self._starts
        i = 0  # the first token not yet covered by a mention
        for i0 in compress(count(), map(starts.__contains__, map(_TEXT, tokens))):
            if i0 < i:
                continue
            best = None
            frontier = starts[tokens[i0][0]]
            j = i0 + 1
            while frontier:
                for node in frontier:
                    entry = node.get(_END)
                    if entry is not None and _case_ok(entry.case, raw, tokens[i0]):
                        best = (entry, j)
                if j >= n:
                    break
                ks = keys.get(tokens[j][0], ())
                frontier = [node[k] for node in frontier for k in ks if k in node]
                j += 1
            if best is None:
                continue
            entry, end = best
            i = end
            if entry.kind == "none":  # "New Mexico": the words are taken, no state is named
                continue
            if entry.terms:
                code = resolve(entry.terms, on)
                if code is None:
                    continue
                kind = "leader" if _is_state(code) else "org"
                out.append(Mention((code,), kind, i0, end, entry.label))
                continue
            out.append(tuple.__new__(Mention, (entry.codes, entry.kind, i0, end, entry.label)))
        return out


def _registry_mention(body: Body) -> tuple[tuple[str, ...], str]:
    """A registry body as a mention: a party org (EU...), a bilateral treaty's two states, or a body."""
    if body.party:
        return (body.code,), "org"
    if body.parties:
        return body.parties, "multi"
    return (), "body"


def _is_state(code: str) -> bool:
    """An official's term code: a state's ISO alpha-2 ("NL"), else an organisation's ("NATO", "CoE")."""
    return len(code) == 2 and code.isupper()


def _case_ok(case: str, raw: str, tok: Token) -> bool:
    if case == "any":
        return True
    text = raw[tok.start : tok.end]
    return text.isupper() if case == "upper" else text[:1].isupper()


def load_gazetteer(
    path: pathlib.Path, inflector: Inflector, registry: Registry | None = None, officials: Sequence[Person] = ()
) -> Gazetteer:
    """Read and validate the gazetteer YAML; ConfigError names the file on failure."""
    from parsers.config.yamlio import YamlError, load_yaml, read_error  # only a build reads YAML

    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path)) or {}
    except (OSError, UnicodeDecodeError, YamlError) as exc:
        raise ConfigError(f"{path}: gazetteer: {read_error(exc)}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    unknown = set(data) - set(KINDS) - set(EXTRA)
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {sorted(unknown)}")
    return Gazetteer(data, inflector, str(path), registry, library_states(inflector.known), populations(), officials)
