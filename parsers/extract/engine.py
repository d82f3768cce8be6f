"""The rule engine: text in, agreement events out (pure, thread-safe, no I/O after load).

Span convention: the extractor reads `doc.title + "\\n\\n" + doc.text` when a title is given,
else `doc.text`; every `Event.span` indexes that string, and the title is sentence 0.

Counterparts: states (ISO alpha-2) and the organisations EU, NATO, CSTO, CIS and CoE. We never
emit `MULTI`: leaving or suspending a multilateral treaty or body we know by name (ECOWAS, ICC,
CFE...) yields the organisation code when it has one, else an empty counterparts tuple.
Merging: candidates of one family are merged within a document when they share the actor and
counterparts overlap (termination) or their party sets nest (partnership); a candidate whose actor
comes only from context (an anaphor such as "the document") joins the latest event of its family.
Events below THRESHOLD confidence are not returned.
"""

from __future__ import annotations

import functools
import hashlib
import pathlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, timedelta

from parsers.extract.candidates import Candidate, CandidateFinder
from parsers.extract.cues import Doc, Sentence
from parsers.extract.details import dates_of, max_stage, officials
from parsers.extract.gazetteer import Gazetteer, load_gazetteer
from parsers.extract.instrument import Found, find_instrument
from parsers.extract.lang import detect_lang
from parsers.extract.morph import Inflector
from parsers.extract.officials import load_officials
from parsers.extract.prefilter import SentenceFilter
from parsers.extract.registry import Registry, load_registry, registry_files
from parsers.extract.rules import Matcher, RuleSet, load_rules
from parsers.extract.text import fold, join_wrapped, split_sentences, word_starts, words_regex
from parsers.models import Event, ExtractionInput, Item, Official, StoredEvent, event_id

THRESHOLD = 0.5
BACKGROUND_DAYS = 180  # an event dated this long before publication is flagged "background"
NAMING_LOOKBACK = 2  # sentences before the evidence searched for the parties it leaves unnamed
TYPE_MARGIN = 0.2
TYPE_PRIORITY = {
    "suspension": 3,
    "withdrawal": 2,
    "termination": 1,
    "partnership_signed": 2,
    "partnership_strengthened": 1,
}


class _Group:
    """Candidates merged into one event."""

    def __init__(self, cand: Candidate) -> None:
        self.cands = [cand]
        self.actor = cand.actor
        self.counterparts = list(cand.counterparts)

    @property
    def family(self) -> str:
        return self.cands[0].family

    @property
    def parties(self) -> set[str]:
        return {self.actor, *self.counterparts}

    def add(self, cand: Candidate, threshold: float) -> None:
        self.cands.append(cand)
        if cand.confidence < threshold:
            return
        for c in cand.counterparts:
            if c not in self.counterparts and c != self.actor:
                self.counterparts.append(c)


class Extractor:
    """Compiled rules + gazetteer; `extract` is pure and safe to call from many threads."""

    def __init__(self, rules: RuleSet, gazetteer: Gazetteer, version: str, threshold: float = THRESHOLD) -> None:
        self.rules = rules
        self.gazetteer = gazetteer
        self.version = version
        self.threshold = threshold
        self._finder = CandidateFinder(rules, gazetteer)
        self._seats = {b.code: b.seat for b in gazetteer.registry if b.seat and b.kind == "organisation"}
        self._roles = {lang: words_regex(_lexicon_forms(m, "role")) for lang, m in rules.matchers.items()}
        self._filters = {
            lang: SentenceFilter(m, [r for r in rules.rules.values() if r.lang == lang], gazetteer.body_names)
            for lang, m in rules.matchers.items()
        }

    def extract(self, doc: ExtractionInput) -> list[Event]:
        """Events the document reports, merged per family and party set, above the threshold."""
        raw, lang, sents, cands = self._analyse(doc)
        if sents is None or not cands:
            return []
        groups = _merge(
            cands,
            functools.partial(self._finder.default_actor, sents),
            self.threshold,
            functools.partial(self._finder.named_set, sents),
            functools.partial(self._finder.act_issuer, sents),
        )
        groups = _drop_history(groups, 2 if sents.titled else 1)
        groups = _fold_brussels(groups, sents)
        return _without_seat_echo([e for g in groups for e in self._event(g, raw, sents, lang, doc)], self._seats)

    def candidates(self, doc: ExtractionInput) -> list[Candidate]:
        """Every scored candidate before merging (for rule tests and debugging)."""
        return self._analyse(doc)[3]

    def _analyse(self, doc: ExtractionInput) -> tuple[str, str, Doc | None, list[Candidate]]:
        raw = f"{doc.title}\n\n{doc.text}" if doc.title else doc.text
        lang = doc.lang or detect_lang(raw)
        matcher, trigger_re = self.rules.matchers.get(lang), self.rules.trigger_res.get(lang)
        if matcher is None or trigger_re is None or not raw.strip():
            return raw, lang, None, []
        folded = fold(raw)
        positions = word_starts(trigger_re, self.rules.trigger_fast.get(lang), folded)
        if not positions:  # most items: no trigger word at all, nothing else to do
            return raw, lang, None, []
        titled = bool(doc.title.strip())
        body = split_sentences(raw, len(doc.title) + 2 if doc.title else 0)
        body = join_wrapped(raw, body, matcher.function_words.line_continuation)
        spans = ([(0, len(doc.title))] if titled else []) + body
        sents = Doc(
            raw, folded, spans, matcher, self.gazetteer, titled, doc.published.date() if doc.published else None
        )
        could = self._filters.get(lang)
        wanted = [
            i
            for i in sorted({sents.index_at(p) for p in positions})
            if (could is None or could(folded, *spans[i])) and sents.has_trigger(i)
        ]
        return raw, lang, sents, self._finder.find(sents, wanted, lang, doc.published)

    def _event(self, group: _Group, raw: str, sents: Doc, lang: str, doc: ExtractionInput) -> list[Event]:
        """The group's event; one per instrument when it leaves several coordinated ones."""
        best = max(group.cands, key=lambda c: (c.confidence, -c.sent.idx))
        strong = [c for c in group.cands if c.confidence >= self.threshold and c.can_create] or [best]
        if best.confidence < self.threshold or not group.actor:
            return []
        # the type comes from the confident reports; a penalised background line ("earlier, X froze...") has no say
        # a report by the same actor that names no partner ("Putin signed a declaration on deepening the
        # partnership") still says what was done when it is as sure as the best report, though it cannot make an event
        voiced = strong + [
            c
            for c in group.cands
            if c.confidence >= best.confidence and c.actor in group.parties and all(c is not k for k in strong)
        ]
        typed = [c for c in voiced if c.confidence >= best.confidence - TYPE_MARGIN] or [best]
        typed = [c for c in typed if not any(o.type in c.rule.yields_type for o in typed)] or typed
        # a report that names the other party knows whether the instrument is bilateral; one that does not, less so
        if any(c.type == "termination" and c.counterparts for c in typed):
            typed = [c for c in typed if c.type != "withdrawal" or c.counterparts]
        etype = max(typed, key=lambda c: (TYPE_PRIORITY[c.type], c.confidence)).type
        counterparts = [c for c in group.counterparts if c != group.actor]
        states = [c for c in counterparts if c not in self.gazetteer.groups and c != "CoE"]
        descriptors = set().union(*(c.descriptors for c in group.cands))
        if states:
            counterparts = [c for c in counterparts if c not in descriptors]
        if not counterparts:
            counterparts = sorted(descriptors - {group.actor})
        if group.family == "partnership" and not counterparts:
            return []
        proof = _evidence(strong, best, raw, sents)
        found = find_instrument(
            [proof, *(c for c in group.cands if c is not proof)],
            self.gazetteer.registry,
            raw,
            group.family,
            etype,
            group.actor,
            {group.actor, *counterparts},
            (sents.get(k) for k in range(proof.sent.idx - 1, -1, -1)),
        )
        shared = [c for c in counterparts if found.body is None or c != found.body.code]
        others = (
            [(*_multilateral(f, group.family, etype, list(shared)), f.instrument) for f in found.also]
            if group.family == "termination"
            else []
        )
        if not (etype == "termination" and any(c.with_body for c in typed)):
            etype, counterparts = _multilateral(found, group.family, etype, counterparts)
        else:  # the body it had the agreement with is the other side
            side = next(c.with_body for c in typed if c.with_body)
            counterparts = [*(c for c in counterparts if c != side), side]
        flags: set[str] = set()
        claimed = next((c.claimed for c in group.cands if c.claimed), None)
        if claimed and group.family == "termination":
            flags |= self._claim_flags(claimed, [c for c in counterparts if len(c) == 2 and c.isupper()])
        stage = "announced"
        for c in strong:
            stage = max_stage(stage, c.stage)
        people, dates, precision = self._people_and_dates(strong, sents, lang, doc)
        bonus = min(0.1, 0.03 * (len(strong) - 1))
        span = _naming_span(proof.sent, {group.actor, *counterparts}, sents)
        if doc.published is not None and dates and max(dates) < doc.published.date() - timedelta(days=BACKGROUND_DAYS):
            flags.add("background")  # dated well before publication: context for an analyst, not news
        event = Event(
            family=group.family,
            type=etype,
            actor=group.actor,
            counterparts=tuple(counterparts),
            domain=_domain(best, strong),
            evidence=raw[span[0] : span[1]],
            span=span,
            confidence=round(min(0.99, best.confidence + bonus), 3),
            rule=best.rule.id,
            flags=tuple(sorted(flags)),
            stage=stage,
            lang=lang,
            officials=tuple(people),
            dates=tuple(dates),
            agreement="",
            extractor_version=self.version,
            date_precision=tuple(precision),
            instrument=found.instrument,
        )
        return [event, *(replace(event, type=t, counterparts=tuple(cps), instrument=inst) for t, cps, inst in others)]

    def _people_and_dates(
        self, strong: list[Candidate], sents: Doc, lang: str, doc: ExtractionInput
    ) -> tuple[list[Official], list[date], list[str]]:
        """Officials from the evidence sentences and the sentence after each; dates from the evidence."""
        people: list[Official] = []
        dates: list[date] = []
        precision: list[str] = []
        for c in sorted(strong, key=lambda c: c.sent.idx):
            nxt = c.sent.idx + 1
            # analyse the next sentence only when a title word (minister, ambassador...) is in it
            follow = (
                sents.get(nxt)
                if nxt < len(sents) and self._roles[lang].search(sents.folded, *sents.spans[nxt])
                else None
            )
            for s in (c.sent, follow):
                for o in officials(s, sents.raw) if s is not None else ():
                    if all(o.name != p.name for p in people):
                        people.append(o)
            for d, prec in dates_of(c.sent, sents.raw, self.rules.months.get(lang, {}), doc.published, lang):
                if d not in dates:
                    dates.append(d)
                    precision.append(prec)
        return people, dates, precision

    def _claim_flags(self, claimed: tuple[int, str | None], states: list[str]) -> set[str]:
        """The text's own count and group versus the states it names."""
        count, group = claimed
        flags = set()
        if count != len(states):
            flags.add(f"claimed_count_mismatch:{count}!={len(states)}")
        members = self.gazetteer.groups.get(group or "")
        if members:
            outside = sorted(s for s in states if s not in members)
            if outside:
                flags.add(f"not_in_group:{group}:{','.join(outside)}")
        return flags


def _without_seat_echo(events: list[Event], seats: dict[str, str]) -> list[Event]:
    """ "Latvia quits cooperation format with China" beside Latvia leaving the China-CEEC format (seated in China):
    the bilateral reading of the headline echoes the exit from the body, it is not a second instrument."""
    left = {(e.actor, seats[c]) for e in events if e.type == "withdrawal" for c in e.counterparts if c in seats}
    return [
        e
        for e in events
        if not (e.type == "termination" and len(e.counterparts) == 1 and (e.actor, e.counterparts[0]) in left)
    ]


def _is_state(code: str) -> bool:
    return len(code) == 2 and code.isupper() and code != "EU"


def _multilateral(found: Found, family: str, etype: str, counterparts: list[str]) -> tuple[str, list[str]]:
    """Leaving or suspending a multilateral treaty or body names it: its code among the counterparts,
    its seat never; ending one is a withdrawal, not a bilateral termination with one of its parties."""
    body = found.body
    if body is None or family != "termination" or body.kind == "bilateral treaty":
        return etype, counterparts
    if etype == "termination":
        etype, counterparts = "withdrawal", [c for c in counterparts if not _is_state(c)]
    counterparts = [c for c in counterparts if c != body.seat]
    if body.code not in counterparts:
        counterparts.append(body.code)
    return etype, counterparts


def _domain(best: Candidate, strong: list[Candidate]) -> str:
    """The best candidate's domain; a headline without a cue borrows the body's ("sign pact" -> defence)."""
    if best.domain != "other":
        return best.domain
    return next((c.domain for c in sorted(strong, key=lambda c: c.sent.idx) if c.domain != "other"), "other")


def _lexicon_forms(matcher: Matcher, tag: str) -> set[str]:
    """Word forms that start an entry of one lexicon in a compiled matcher."""
    out = {form for form, tags in matcher.words.items() if tag in tags}
    return out | {form for form, entries in matcher.phrases.items() if any(t == tag for _, t in entries)}


def _matches(group: _Group, cand: Candidate) -> bool:
    if group.family != cand.family:
        return False
    if _other_item(group, cand) and not set(cand.counterparts) & set(group.counterparts):
        return False  # a digest lists one act per item: two items are two events unless they share a party
    if cand.family == "termination":
        if group.actor != cand.actor:
            return False
        if _other_instrument(group, cand):
            return False  # "...suspended the accord with Japan; it also left the UNWTO": two instruments
        if _also_another(group, cand):
            return False  # "Minsk also suspends the readmission agreement with the EU": a second instrument
        return not cand.counterparts or not group.counterparts or bool(set(cand.counterparts) & set(group.counterparts))
    parties = {cand.actor, *cand.counterparts}
    return parties <= group.parties or group.parties <= parties


def _drop_history(groups: list[_Group], lead: int) -> list[_Group]:
    """A signing told after the lead between the parties of an agreement the text reports ended is that
    agreement's history («Документ был заключен в 1996 году»), not a new partnership."""
    ended = [g.parties for g in groups if g.family == "termination"]
    return [
        g
        for g in groups
        if g.family != "partnership"
        or not ended
        or any(c.sent.idx < lead for c in g.cands)
        or not any(g.parties <= p for p in ended)
    ]


def _naming_span(sent: Sentence, parties: set[str], sents: Doc) -> tuple[int, int]:
    """The evidence span, widened back over up to NAMING_LOOKBACK sentences when the evidence sentence
    does not name every party ("The two nations signed..." after "Chile and Peru met in Lima.")."""
    missing = parties - {c for m in sent.mentions for c in m.codes}
    start = sent.start
    for k in range(sent.idx - 1, max(-1, sent.idx - 1 - NAMING_LOOKBACK), -1):
        if not missing or (sents.titled and k == 0):
            break
        named = missing & {c for m in sents.get(k).mentions for c in m.codes}
        if named:
            missing -= named
            start = sents.spans[k][0]
    return start, sent.end


def _other_instrument(group: _Group, cand: Candidate) -> bool:
    """A counterpart-less exit from a named body next to a group about agreements with states."""
    return (
        cand.family == "termination"
        and not cand.counterparts
        and cand.type == "withdrawal"
        and cand.body
        and all(c.type != "withdrawal" and c.counterparts for c in group.cands)
    )


def _also_another(group: _Group, cand: Candidate) -> bool:
    """ "X suspends its participation in the initiative. … X also suspends the readmission agreement with Y":
    an explicit actor's "also" move told in a later sentence than the group is a second instrument."""
    return (
        cand.also
        and cand.actor is not None
        and cand.can_create
        and all(c.sent.idx < cand.sent.idx and not c.sent.is_title for c in group.cands)
    )


def _other_item(group: _Group, cand: Candidate) -> bool:
    """The candidate sits in another bulleted item of a digest than every candidate of the group."""
    return cand.item >= 0 and all(c.item >= 0 and c.item != cand.item for c in group.cands)


def _evidence(strong: list[Candidate], best: Candidate, raw: str, sents: Doc) -> Candidate:
    """The sentence to show an analyst: the best full sentence of the body, the headline only if
    nothing else supports the event (a headline is a claim, the body sentence says who did what)."""

    def headline(c: Candidate) -> bool:
        return (sents.titled and c.sent.idx == 0) or not raw[c.sent.start : c.sent.end].rstrip().endswith(_FULL_STOP)

    body = [c for c in strong if not headline(c)]
    return max(body, key=lambda c: (c.confidence, -c.sent.idx)) if body else best


_FULL_STOP = (".", "!", "?", "…", "»", '"', "”", ")")


def _merge(
    cands: list[Candidate],
    lead_actor: Callable[[], str | None],
    threshold: float = THRESHOLD,
    named_set: Callable[[int], list[str]] = lambda idx: [],
    act_issuer: Callable[[], str | None] = lambda: None,
) -> list[_Group]:
    """Fold candidates into events: same family + overlapping parties; context-only ones join the latest.

    `lead_actor` is called only when a candidate lacks an actor: most documents never pay for it.
    """
    groups: list[_Group] = []
    early: list[Candidate] = []  # partnerless partnership reports no event took yet
    for cand in cands:
        own_actor = cand.actor is not None
        if cand.whole and cand.actor is None:  # "Our seven states are putting on hold…": each named state acts
            named = named_set(cand.sent.idx)
            named = named[: cand.whole] if 0 < cand.whole <= len(named) else named
            for code in named:
                groups.append(
                    _Group(
                        replace(
                            cand,
                            actor=code,
                            can_create=True,
                            counterparts=tuple(c for c in cand.counterparts if c != code),
                        )
                    )
                )
            if named:
                continue
        if cand.others and cand.actor is None:  # "The other two said they would leave too"
            acting = {g.actor for g in groups if g.family == cand.family}
            prior = next((g for g in reversed(groups) if g.family == cand.family), None)
            rest = [c for c in named_set(cand.sent.idx) if c not in acting and c not in cand.counterparts]
            for code in rest if prior is not None else ():
                parties = cand.counterparts or tuple(c for c in prior.counterparts if c != code)
                groups.append(_Group(replace(cand, actor=code, counterparts=parties, can_create=True)))
            if rest and prior is not None:
                continue
        if cand.rule.inherits:  # "Bamako followed suit": the latest event of the family, with a new actor
            prior = next((g for g in reversed(groups) if g.family == cand.family), None)
            if prior is None or cand.actor is None or cand.actor in prior.parties:
                continue
            cand = replace(cand, type=prior.cands[0].type, counterparts=tuple(prior.counterparts), can_create=True)
        if cand.follows and own_actor and not cand.can_create:
            cand = _following(groups, cand)
            if cand is None:
                continue
        if cand.actor is None:
            same = [
                g
                for g in groups
                if g.family == cand.family and not _other_item(g, cand) and not _other_instrument(g, cand)
            ]
            fit = [g for g in same if set(cand.counterparts) <= g.parties]
            if (
                not fit
                and (cand.family == "termination" or not cand.counterparts)
                and not (cand.body and cand.counterparts)
                and not (cand.pronoun and cand.counterparts)
            ):  # "Separately, it suspended a treaty with Norway"
                fit = same  # an anaphor ("the document was suspended") joins the latest event; a named body does not
            if fit:
                fit[-1].add(_as_support(fit[-1], cand, threshold), threshold)
                continue
            # «Денонсировать Факультативный протокол …» under «ЗАКОН РЕСПУБЛИКИ БЕЛАРУСЬ»: the act's issuer leaves
            issuer = (
                act_issuer()
                if cand.impersonal and cand.body and not any(_is_state(c) for c in cand.counterparts)
                else None
            )
            default_actor = issuer or lead_actor()
            if default_actor is None:
                continue
            if default_actor in cand.counterparts:
                # an impersonal act issued by one of the parties: «Денонсируется Соглашение между X и Y»
                rest = tuple(c for c in cand.counterparts if c != default_actor)
                if not rest or not cand.impersonal:
                    continue
                cand = replace(cand, actor=default_actor, counterparts=rest, can_create=True)
            else:
                cand = replace(
                    cand,
                    actor=default_actor,
                    can_create=cand.can_create
                    or issuer is not None
                    or (cand.pronoun and (cand.body or bool(cand.counterparts))),
                )
        fits = [g for g in reversed(groups) if _matches(g, cand)]
        # a group of penalised lines only ("..., a day after X halted its EU accession") is the last resort
        target = next((g for g in fits if any(c.confidence >= threshold for c in g.cands)), fits[0] if fits else None)
        if target is not None:
            if target.family == "partnership" and len(cand.counterparts) > len(target.counterparts):
                target.actor = target.actor or cand.actor
            target.add(cand, threshold)
        elif cand.can_create and not (
            cand.also
            and not _same_move(groups, cand)
            and any(g.family == cand.family and g.actor != cand.actor for g in groups)
        ):
            groups.append(_Group(cand))
        elif own_actor and not cand.counterparts and (cand.family == "partnership" or cand.sent.is_title):
            early.append(cand)
    _join_early(groups, early, threshold)
    return groups


FOLLOW_GAP = 4  # sentences: a state's own end told this soon after another's may take its object


def _following(groups: list[_Group], cand: Candidate) -> Candidate | None:
    """ "Copenhagen is pulling out of UNIDO. … Athens has likewise told the organisation that Greece will cease to be
    a member": an end with its own actor, a referring-back cue and no instrument of its own takes the latest end's
    type and other side (a body's name is found again from the text before it); with no such end nearby, or one
    by the same actor, it reports nothing."""
    prior = next((g for g in reversed(groups) if g.family == cand.family), None)
    if prior is None or cand.actor in prior.parties or cand.sent.idx - prior.cands[-1].sent.idx > FOLLOW_GAP:
        return None
    # leaving a body: the body is found again from the text; a state the note went to (its host) is not taken along
    others = () if any(c.body for c in prior.cands) else tuple(prior.counterparts)
    return replace(cand, type=prior.cands[0].type, counterparts=others, can_create=True)


def _join_early(groups: list[_Group], early: list[Candidate], threshold: float) -> None:
    """A partnerless report told before the event's full report ("Li Qiang oversaw the signing of nine documents"
    before "the two governments lifted relations to …") joins the event its actor is a party to, when that event
    stands on its own (the early report can type it, never make it). A partnerless headline about an end joins
    every end of its actor the text reports."""
    # "Blinken ends asylum pacts with Central American states" over one note to three capitals: the headline
    # says what each of the actor's ends is, whether it made an event of its own or none
    heads = [c for c in early if c.family == "termination"] + [
        c for g in groups if g.family == "termination" for c in g.cands if c.sent.is_title and not c.counterparts
    ]
    for cand in heads:
        for g in groups:
            if (
                g.family == cand.family
                and g.actor == cand.actor
                and all(c is not cand for c in g.cands)
                and any(c.confidence >= threshold and c.can_create for c in g.cands)
            ):
                g.cands.append(cand)
    for cand in early:
        if cand.family == "termination":
            continue
        target = next(
            (
                g
                for g in groups
                if g.family == cand.family
                and cand.actor in g.parties
                and any(c.confidence >= threshold and c.can_create for c in g.cands)
            ),
            None,
        )
        if target is not None:
            target.cands.append(cand)


_BELGIUM = ("belgi", "бельги")  # folded stems of Belgium / Belgian / Бельгия / бельгийский


def _fold_brussels(groups: list[_Group], sents: Doc) -> list[_Group]:
    """ "Rabat freezes contacts with Brussels" over "Morocco has cut off all contact with the institutions of the
    European Union": once Brussels reads as the EU, a group that now names the same move as another joins it."""
    out: list[_Group] = []
    for g in groups:
        if not _brussels_as_eu(g, sents):
            out.append(g)
            continue
        same = next(
            (
                o
                for o in out + groups
                if o is not g
                and o.family == g.family
                and o.actor == g.actor
                and set(o.counterparts) == set(g.counterparts)
            ),
            None,
        )
        if same is None:
            out.append(g)
        else:
            same.cands.extend(g.cands)
    return out


def _brussels_as_eu(group: _Group, sents: Doc) -> bool:
    """ "Brussels and Wellington signed a free trade agreement": Brussels stands for the EU, not Belgium, when
    every mention of Belgium in the group's sentences is the city and the text never names Belgium itself."""
    if "BE" not in group.parties:
        return False
    named = [m for c in group.cands for m in c.sent.mentions if "BE" in m.codes]
    if not named or any(m.kind != "metonym" for m in named) or any(b in sents.folded for b in _BELGIUM):
        return False
    group.actor = "EU" if group.actor == "BE" else group.actor
    group.counterparts = list(dict.fromkeys("EU" if c == "BE" else c for c in group.counterparts))
    return True


def _as_support(group: _Group, cand: Candidate, threshold: float) -> Candidate:
    """An anaphor ("The withdrawal took effect a year later") adds to what its group reports: it cannot
    turn a move the text hedges or dates as history ("the ANC resolved the country should pull out")
    into news, so it never scores above the group's best named candidate when that one is below threshold."""
    top = max(c.confidence for c in group.cands)
    return cand if top >= threshold else replace(cand, confidence=min(cand.confidence, top))


def extract_events(extractor: Extractor, docs: Iterable[ExtractionInput]) -> list[StoredEvent]:
    """Every event of the docs with the id `run`, `replay` and the backlog all give it (item + identity)."""
    return [StoredEvent(event_id(doc.id, e), doc.id, e) for doc in docs for e in extractor.extract(doc)]


def extract_items(extractor: Extractor, items: Iterable[Item]) -> list[StoredEvent]:
    """`extract_events` over stored or fetched items (their publication date anchors relative dates)."""
    return extract_events(
        extractor,
        (ExtractionInput(text=i.text, title=i.title, lang=i.lang, published=i.published, id=i.id) for i in items),
    )


def _same_move(groups: list[_Group], cand: Candidate) -> bool:
    """ "France, too, would withdraw from the treaty" after "the Netherlands will leave the Energy Charter
    Treaty": another state making the latest move, referred back to, not a parallel background move."""
    prior = next((g for g in reversed(groups) if g.family == cand.family), None)
    return (
        prior is not None
        and cand.family == "termination"
        and not cand.counterparts
        and not prior.counterparts
        and cand.type == prior.cands[0].type
        and cand.sent.idx - prior.cands[-1].sent.idx <= 2
        and cand.sent.has("too", 0, len(cand.sent.tokens))
    )


@functools.lru_cache(maxsize=4)
def _cached(config_dir: str, fingerprint: str) -> Extractor:
    base = pathlib.Path(config_dir)
    inflector = Inflector()
    gaz_path = base / "gazetteer.yaml"
    officials_path = base / "officials.yaml"
    registry = load_registry(base / "registry") if (base / "registry").is_dir() else Registry(())
    gazetteer = load_gazetteer(gaz_path, inflector, registry, load_officials(officials_path))
    extra = (
        gaz_path.read_bytes()
        + (officials_path.read_bytes() if officials_path.exists() else b"")
        + b"".join(p.read_bytes() for p in registry_files(base / "registry"))
    )
    rules = load_rules(base / "rules", inflector, extra)
    return Extractor(rules, gazetteer, rules.version)


def load_extractor(config_dir: pathlib.Path) -> Extractor:
    """Build (once per config content) the extractor from config_dir/rules/*.yaml, gazetteer.yaml,
    officials.yaml and registry/*.yaml (organisations and treaty regimes; a config dir without one recognises none)."""
    base = pathlib.Path(config_dir).resolve()
    digest = hashlib.sha256()
    for path in sorted(
        [
            base / "gazetteer.yaml",
            base / "officials.yaml",
            *(base / "rules").glob("*.yaml"),
            *registry_files(base / "registry"),
        ]
    ):
        if path.exists():
            digest.update(path.name.encode() + path.read_bytes())
    return _cached(str(base), digest.hexdigest())
