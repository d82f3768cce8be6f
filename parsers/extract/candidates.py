"""Turn trigger hits into scored event candidates: requirements, cues, parties, type and confidence."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from parsers.extract import cues
from parsers.extract.cues import Doc, Sentence
from parsers.extract.details import domain_of, stage_of
from parsers.extract.gazetteer import Gazetteer, Mention
from parsers.extract.modality import modal_penalty
from parsers.extract.parties import blocked, find_parties, pair_of, speaker_of
from parsers.extract.rules import Hit, Rule, RuleSet

# "relative": a trigger inside "..., which the two countries signed" describes the agreement's past
PENALTY = {
    "hedge": 0.45,
    "consequence": 0.45,
    "past": 0.35,
    "historical": 0.5,
    "background": 0.25,
    "subordinate": 0.25,
    "relative": 0.45,
    "old": 0.45,
    "response": 0.45,
    "resumed": 0.45,
}
ENDED_OBJECT_SPAN = 8  # tokens between an end trigger and the instrument noun a signing participle describes
TOPIC_SPAN = 4  # tokens of an instrument's topic phrase ("on air services", «о воздушном сообщении»)
RESPONSE_SPAN = 5  # "in response to India's suspension": the marker, the other side and the noun
NONSTATE_NEAR = 4  # tokens after the trigger where a company or armed group always counts
AUTHORIZE_SPAN = 14  # «Поручить МИДу ... провести переговоры ... и подписать»: the order governs a long clause
PARTIAL_SPAN = 3  # "stops attending (all) meetings of": the noun of what stops, right after the trigger
ORDER_HEAD_SPAN = 3  # «2. Поручить …», "1. Authorize …": an order item whose first word mandates the whole item
ACT_HEAD_LINES = 4  # an act's heading: title, act word, issuing body ("Adopted by the State Duma ...")
POSITION_BONUS = (0.1, 0.1, 0.0, 0.0)  # title, lead, 2nd, 3rd sentence; later ones get -0.1
_RU_PLURAL = ("ений", "оров", "ов", "ами", "ям", "ам")


@dataclass(frozen=True)
class Candidate:
    rule: Rule
    type: str
    family: str
    actor: str | None
    counterparts: tuple[str, ...]
    sent: Sentence
    trigger: tuple[int, int]
    confidence: float
    stage: str
    domain: str
    can_create: bool = True
    claimed: tuple[int, str | None] | None = None
    descriptors: frozenset[str] = frozenset()
    also: bool = False  # "X also left...": a parallel move, news only when nothing else is
    impersonal: bool = False  # no subject at all (an act's "Denounced: the Agreement between X and Y")
    item: int = -1  # the digest item (bulleted line) it comes from; -1 outside lists
    body: bool = False  # its instrument is a named organisation or treaty body (not "the agreement with X")
    pronoun: bool = False  # the subject is a pronoun ("It also left the Council of Europe"): the lead state acts
    others: bool = False  # "the other two": the last named set of states, less those already acting
    whole: int = 0  # "our seven states": the last named set (its first N when a number is given; -1: no number)
    follows: bool = False  # "Greece will likewise cease to be a member": an end that may take the latest one's object
    # "ended its agreement with the OAS": the body (its code) that is one side of a bilateral instrument
    with_body: str = ""


class CandidateFinder:
    """Applies every rule of a language to analysed sentences."""

    def __init__(self, rules: RuleSet, gazetteer: Gazetteer) -> None:
        self.rules = rules
        self.gazetteer = gazetteer

    def default_actor(self, sents: Doc) -> str | None:
        """First state named in the title or lead: who the document is about."""
        for i in range(min(2, len(sents))):
            for m in sents.get(i).mentions:
                if m.is_state and len(m.codes) == 1:
                    return m.codes[0]
        return None

    def act_issuer(self, sents: Doc) -> str | None:
        """The state that issues an official act: one named in the first ACT_HEAD_LINES lines when one of them
        opens with an act word ("LAW OF THE REPUBLIC OF BELARUS", «Федеральный закон.» then «Принят
        Государственной Думой»); None for any other document."""
        lines = [sents.get(i) for i in range(min(ACT_HEAD_LINES, len(sents)))]
        if not any(s.has("act_head", 0, 1) for s in lines):
            return None
        for s in lines:
            for m in s.mentions:
                if m.is_state and len(m.codes) == 1:
                    return m.codes[0]
        return None

    def named_set(self, sents: Doc, idx: int) -> list[str]:
        """The latest set of three or more states named before sentence idx ("Mali, Burkina Faso and Niger")."""
        for k in range(idx - 1, -1, -1):
            codes = list(dict.fromkeys(c for m in sents.get(k).mentions if m.is_state for c in m.codes))
            if len(codes) >= 3:
                return codes
        return []

    def find(self, sents: Doc, wanted: list[int], lang: str, published: datetime | None) -> list[Candidate]:
        """Candidates from the sentences that hold a trigger word (`wanted`), in text order."""
        titled = sents.titled
        pub_year = published.year if published else None
        out: list[Candidate] = []
        # an anniversary/history headline makes every signing in the piece history
        title = sents.get(0) if titled else None
        self_history = bool(title and (title.by_tag.get("anniversary") or title.by_tag.get("retrospective")))
        # a headline reporting a resumption ("Suva brings back China police deal") makes a suspension told in the
        # piece the earlier step, not news
        resumed = bool(title and title.by_tag.get("resumption"))
        prior: tuple[str, str] | None = None  # the parties of the latest two-party candidate, for "the sides also"
        for idx in wanted:
            sent = sents.get(idx)
            pos = sent.idx if titled else sent.idx + 1
            bonus = POSITION_BONUS[pos] if pos < len(POSITION_BONUS) else -0.1
            seen: list[tuple[int, int, str]] = []
            for hit in sorted(sent.by_tag_prefix("trig:"), key=lambda h: (h.start, -(h.end - h.start))):
                rule = self.rules.rules[hit.tag[5:]]
                if any(a <= hit.start and hit.end <= b and f == rule.family for a, b, f in seen):
                    continue
                made = self._candidates(sent, hit, rule, bonus, pub_year, sents, lang, self_history, prior, resumed)
                if made:
                    seen.append((hit.start, hit.end, rule.family))
                out.extend(made)
                prior = next(
                    ((c.actor, c.counterparts[0]) for c in reversed(made) if c.actor and c.counterparts), prior
                )
        return out

    def _requirement(self, sent: Sentence, hit: Hit, rule: Rule) -> int | None:
        # "withdraw, with immediate effect, from ...": a bounded aside after the trigger does not use up the window
        lo = hit.end if rule.direction == "after" else max(0, hit.start - rule.window)
        # "…signed a joint communique; at the same time it broke off relations with Taiwan": not across a semicolon
        lo = max([lo, *(k + 1 for k in range(lo, hit.start) if sent.tokens[k].text == ";")])
        hi = hit.end + rule.window + cues.aside_length(sent, hit.end)
        hi += cues.party_length(sent, hit.end, hi)  # "signed with the Government of the United States of America an…"
        hi = cues.name_end(sent, hi)  # "from the Comprehensive Nuclear Test Ban Treaty": the name runs on
        best = None
        for name in rule.requires:
            for h in sent.tagged(name, lo, hi):
                # «заморозила часть военных контактов»: a part of the contacts is no suspension of the ties
                if h.start == hit.start or (name == "support_ties" and sent.has("partial", hit.end, h.start)):
                    continue
                # "troops left under the agreement" is no move on it; "under two memoranda signed in Hanoi" is one
                if (
                    sent.has("under_marker", max(0, h.start - 4), h.start)
                    and h.end != hit.start
                    # "exempting its facilities from inspections under the treaty": the trigger's last word counts
                    and not sent.has("treaty_part", max(hit.end - 1, h.start - 6), h.start)
                ):
                    continue
                if best is None or abs(h.start - hit.end) < abs(best - hit.end):
                    best = h.start
            if name == "body":
                for m in sent.mentions:
                    if (
                        m.kind in ("org", "body")
                        and lo <= m.start < hi
                        and (best is None or abs(m.start - hit.end) < abs(best - hit.end))
                    ):
                        best = m.start
        return best if best is not None or not rule.requires else None

    def _candidates(
        self,
        sent: Sentence,
        hit: Hit,
        rule: Rule,
        bonus: float,
        pub_year: int | None,
        doc: Doc,
        lang: str,
        history: bool = False,
        prior: tuple[str, str] | None = None,
        resumed: bool = False,
    ) -> list[Candidate]:
        start, end = hit.start, hit.end
        inner = [m.start for m in sent.mentions if start < m.start < end] + [
            h.start for h in sent.by_tag.get("agreement", ()) if start < h.start < end
        ]
        end = min(inner, default=end)  # "put the treaty with Norway on hold": parties sit inside the phrase
        if rule.at_start and start > 1:
            return []
        if rule.yields_to and any(
            self.rules.rules[h.tag[5:]].family in rule.yields_to for h in sent.by_tag_prefix("trig:")
        ):
            return []
        req = self._requirement(sent, hit, rule)
        head: Sentence | None = None
        items = _list_items(doc, sent, hit)  # "decided to denounce: - the Convention...; - the Convention..."
        # "The Marshall Islands delivered its own letter of denunciation": an end that refers back to the latest one
        follows = rule.family == "termination" and sent.has("follow_cue", max(0, start - FOLLOW_SPAN), end + 2)
        if rule.requires and req is None and not items:
            head = _record_head(doc, sent, hit)  # "Signature: 29 August 2024" under "Title: Agreement between..."
            if head is None and not follows:
                return []
        # no instrument of its own: it may only take the latest end's, never make an event alone
        referring = bool(rule.requires) and req is None and not items and head is None
        if rule.family == "termination" and req is not None and sent.has("statute_head", req + 1, req + 3):
            return []  # "repeals the ... Agreement Implementation Act": a domestic act, not the agreement
        if rule.family == "partnership" and req is not None and sent.has("handover", req + 1, req + 4):
            return []  # «документ о передаче базы»: a handover, not a partnership
        if rule.family == "partnership" and self._ended_object(sent, start):
            return []  # "terminating the 2016 communiqué signed by …": the signing describes what ends
        postponed = rule.family == "partnership" and _postponed(sent)
        if postponed or cues.negated(sent, start) or cues.excluded(sent, start, end, req, rule.family == "partnership"):
            return []
        if (
            rule.family == "partnership"
            and sent.has("sign_block", end, end + 3)
            and not sent.has("ratify", end, end + 8)
        ):
            return []
        clause = cues.clause_bounds(sent, start, end)
        region_hi = min(clause[1], end + 25)
        # "signed a peace agreement that commits Kinshasa and Kigali to stop supporting armed groups": a
        # company or armed group counts only before the first state named after the trigger
        named = min(
            (
                m.start
                for m in sent.mentions
                if m.kind in ("name", "metonym", "leader") and m.start >= end and not _possessive(sent, m.end)
            ),
            default=region_hi,
        )  # "France's state-owned Naval Group"
        if cues.nonstate(sent, end, min(region_hi, max(named, end + NONSTATE_NEAR))):
            return []
        if req is not None and _named_contractor(sent, req):
            return []
        conf = rule.confidence + bonus
        ref_year = pub_year
        if ref_year is None and sent.years():
            ref_year = doc.max_year  # no date given: the latest year the text mentions
        for name, test in (
            ("hedge", cues.hedged(sent, start, end)),
            ("consequence", sent.has("consequence", max(0, start - 2), start + 1)),
            (
                "historical",
                rule.family == "partnership"
                and (
                    history
                    or cues.historical(sent, start, end, ref_year)
                    or cues.dated_background(sent, start, clause[0], ref_year)
                ),
            ),
            (
                "background",
                cues.background_before(sent, max(0, clause[0] - 4), start)
                or cues.dated_background(sent, start, clause[0], ref_year),
            ),
            (
                "old",
                pub_year is not None
                and (
                    cues.dated_background(sent, start, clause[0], pub_year - 1)
                    or cues.dated_after(sent, end, region_hi, pub_year - 3)
                    or cues.dated_season(sent, end, region_hi, pub_year - 1)
                ),
            ),
            (
                "past",
                sent.has("past_time", end, region_hi)
                or sent.has("past_time", clause[0], start)
                or (sent.has("pluperfect", max(0, start - 2), start) and not sent.has("reporting", 0, start)),
            ),
            ("subordinate", clause[0] > 0 and cues.background_before(sent, clause[0] - 1, clause[0])),
            ("resumed", resumed and rule.type == "suspension"),
            (
                "response",
                sent.has("response", max(0, start - RESPONSE_SPAN), start) and sent.has("nominal_trigger", start, end),
            ),
            (
                "relative",
                clause[0] > 0
                and sent.has("relative", clause[0] - 1, clause[0])
                and _dated_clause(sent, clause, pub_year, start),
            ),
        ):
            if test:
                conf -= PENALTY[name]
        conf -= modal_penalty(sent, start, end, rule.type, self.rules.modality)[0]
        also = sent.has("also", max(0, start - 4), end + 1)
        stop = min(
            (
                h.start
                for h in sent.by_tag_prefix("trig:")
                # "terminating the communiqué signed by … and Britain's Alan Duncan": the signers are its parties
                if h.start >= end and not (rule.family == "termination" and self._ended_object(sent, h.start))
            ),
            default=None,
        )
        parties = find_parties(sent, start, end, clause, self.rules.numbers.get(lang, {}), stop)
        if head is not None and not parties.subjects and not parties.objects:
            # a record's field line ("Signed: Brussels, 9 July 2023"): the parties are in its title line,
            # or the line above is the state the entry is about ("Estonia. Notification of withdrawal ...")
            entry = _record_entry(doc, sent)
            parties = (
                replace(parties, subjects=entry, explicit=True)
                if entry
                else find_parties(head, 0, 0, (0, len(head.tokens)), self.rules.numbers.get(lang, {}))
            )
        if head is not None and _signature_block(sent, hit):
            # "Signed for the People's Republic of China by …; for Burkina Faso by …": every state signs
            signers = list(dict.fromkeys(c for m in sent.mentions if m.is_state for c in m.codes))
            if len(signers) >= 2:
                parties = replace(parties, subjects=signers[:1], objects=signers[1:], explicit=True)
        if head is not None and rule.family == "partnership":
            # "Parties: A; B; C" / "Signatories: for A, …; for B, …" in the same record: the field names every side
            listed = _parties_field(doc, sent)
            if len(listed) >= 2:
                parties = replace(parties, subjects=listed[:1], objects=listed[1:], explicit=True)
        subjects = parties.subjects
        if not subjects and not parties.mentioned_before:
            subjects = _label_line(doc, sent)  # «1. Литва. Кабинет министров одобрил расторжение договора с …»
        objects = [o for o in parties.objects if o not in parties.descriptors]
        if rule.family == "termination" and subjects and not objects:
            objects = self._signers(sent, end, subjects)  # «соглашение, подписанное … послом Белоруссии»
        if not subjects and rule.family == "termination" and sent.has("gap_actor", hit.start, hit.start + 1):
            # "voted to pull Kenya out of the Rome Statute": the state in the gap leaves
            gap = [c for m in sent.mentions if m.is_state and hit.start < m.start < hit.end for c in m.codes]
            subjects, objects = gap[:1], [o for o in objects if o not in gap[:1]]
        if rule.family == "partnership" and len({*subjects, *objects}) < 2:
            group = _group_anaphora(doc, sent, start, self.rules.numbers.get(lang, {}))
            if group:  # "the four governments signed": the last four states named, in the order first named
                subjects, objects = group[:1], group[1:]
        if sent.has("pair_anaphora", 0, len(sent.tokens)) and len({*subjects, *objects}) < 2:
            here = [c for m in sent.mentions if m.is_state and m.end <= start for c in m.codes]
            pair = _last_pair(doc.states_before(sent.idx) + here)
            if prior and sent.has("additive", 0, start):
                # «Кроме того, стороны подписали …», "the two sides also signed": the sides of the latest event
                pair = prior
            # "the two presidents signed an agreement on a Russian military base in Kyrgyzstan": when the earlier
            # pair is not the one the sentence itself names, the sentence's own two states are the parties
            own = list(dict.fromkeys(c for m in sent.mentions if m.is_state for c in m.codes))
            if len(own) == 2 and pair and set(pair) != set(own) and sent.has("agreement", start, len(sent.tokens)):
                pair = (own[1], own[0]) if own[1] in pair and own[0] not in pair else (own[0], own[1])
            if pair and subjects and subjects[0] in pair:  # "Peru is terminating the agreement between the two"
                objects = [c for c in pair if c != subjects[0]]
            elif pair:
                subjects, objects = [pair[0]], [pair[1]]
        if rule.family == "partnership" and subjects and not objects and req is not None:
            objects = _content_partners(sent, req, subjects)
        if (
            rule.family == "termination"
            and subjects
            and not objects
            and req is not None
            and sent.has("bilateral", max(0, req - 4), req)
        ):
            # "disappointed that Russia decided to suspend the bilateral ... agreement": the other state named
            objects = list(dict.fromkeys(c for m in sent.mentions if m.is_state for c in m.codes if c not in subjects))[
                :1
            ]
        if rule.inherits and not subjects:  # «его примеру последовала Мали»: the subject follows the verb
            after = next((m for m in sent.mentions if m.is_state and end <= m.start <= end + 2), None)
            subjects = list(after.codes[:1]) if after is not None else []
        if lang == "ru" and not subjects and rule.family == "partnership":
            # «такое же коммюнике с Китаем подписало правительство Кирибати»: the subject follows the verb
            verb_first = _inverted_subject(sent, end)
            if verb_first:
                left = [
                    c
                    for m in sent.mentions
                    if m.is_state and m.end <= start and sent.has("with_marker", max(0, m.start - 1), m.start)
                    for c in m.codes
                ]
                subjects = verb_first
                objects = [o for o in [*objects, *left] if o not in verb_first]
        etype, can_create = self._type(sent, rule, start, end, objects, region_hi)
        if head is not None and rule.family == "termination" and not objects and _multilateral_head(head):
            # "SINGLE CONVENTION ON NARCOTIC DRUGS" over "BOLIVIA: DENUNCIATION": a party leaves the titled treaty
            etype, can_create = rule.multilateral_type or rule.type, True
        elif head is not None and rule.family == "termination" and not objects and subjects:
            # "AGREEMENT BETWEEN CHILE AND PERU …" over "CHILE: TERMINATION": the title's other state is the partner
            in_title = [c for m in head.mentions if m.is_state for c in m.codes]
            partners = [c for c in in_title if c not in subjects]
            if partners and subjects[0] in in_title and head.by_tag.get("with_marker"):
                objects, etype, can_create = partners[:1], rule.bilateral_type or rule.type, True
        can_create = (can_create or parties.claimed is not None) and not referring
        stage = stage_of(sent, start, etype, rule.stage)
        if (
            rule.type == "partnership_signed"
            and rule.stage is None
            and (
                sent.has("authorize", max(0, start - AUTHORIZE_SPAN), start)
                or sent.has("sign_topic", start - 1, start)
                or sent.has("order_head", 0, min(start, ORDER_HEAD_SPAN))
            )
        ):
            # «Поручить ... подписать», «Распоряжение о подписании Соглашения»: signing is ordered, not done
            etype, stage = "partnership_strengthened", "authorized"
        domain = domain_of(sent, start, end, None)
        base: dict[str, Any] = {
            "rule": rule,
            "type": etype,
            "family": rule.family,
            "sent": sent,
            "trigger": (start, end),
            "confidence": round(conf, 3),
            "stage": stage,
            "domain": domain,
            "claimed": parties.claimed,
            "descriptors": parties.descriptors,
            "also": also,
        }
        base["impersonal"] = not parties.explicit and not parties.mentioned_before
        base["item"] = doc.item_of(sent.idx)
        base["pronoun"] = not subjects and sent.has("pronoun", max(0, start - 3), start)
        base["others"] = not subjects and sent.has("the_others", max(0, start - 12), start)
        base["whole"] = 0 if subjects else _set_size(sent, start, self.rules.numbers.get(lang, {}))
        base["follows"] = follows
        base["body"] = any(m.kind in ("org", "body") and end <= m.start < region_hi for m in sent.mentions)
        base["with_body"] = (
            self._side_body(sent, end, region_hi) if rule.family == "termination" and base["body"] else ""
        )
        if items:
            return self._item_candidates(items, rule, subjects, base)
        if rule.family == "termination" and _joint_bilateral(sent, subjects, objects, start, end, req):
            # "Sri Lanka and India let their fisheries pact lapse", «Малайзия и Сингапур прекратили действие
            # двустороннего соглашения»: one bilateral end, the first named side as actor
            return [Candidate(actor=subjects[0], counterparts=(subjects[1],), **base)]
        if rule.family == "termination" and len(subjects) == 1 and len(parties.told) >= 2:
            # "notified Switzerland and the Netherlands that it is terminating its investment treaties": one
            # note, one bilateral end each
            return [
                Candidate(actor=subjects[0], counterparts=(o,), can_create=can_create, **base)
                for o in parties.told
                if o != subjects[0]
            ]
        if self._each_own(sent, etype, subjects, objects, req):
            # "freed from every agreement reached with Washington and Israel", "ends its agreements with A and B":
            # each state has its own agreements with the actor, so one bilateral end each
            return [
                Candidate(actor=subjects[0], counterparts=(o,), can_create=can_create, **base)
                for o in objects
                if o != subjects[0]
            ]
        if rule.family == "termination":
            actors: list[str | None] = [*subjects] or [None]
            return [
                Candidate(
                    actor=a,
                    counterparts=tuple(o for o in objects if o != a),
                    can_create=can_create and a is not None,
                    **base,
                )
                for a in actors
            ]
        if not subjects and len(objects) >= 2:  # "was signed by X's minister and his Y counterpart"
            subjects, objects = objects[:1], objects[1:]
        everyone = [*subjects, *(o for o in objects if o not in subjects)]
        if len(everyone) == 1:
            everyone += _pronoun_partner(sent, start, everyone[0])
        if len(everyone) == 1:
            everyone += _pair_partner(sent, everyone[0])
        if len(everyone) == 1:
            everyone += _head_partner(sent, start, everyone[0])
        everyone = _speaker_first(sent, start, everyone)
        if len(everyone) == 1 and sent.idx > (1 if doc.titled else 0):
            # "Panama and China established relations. Their foreign ministers X and Wang Yi signed a communique."
            everyone += _pair_partner(doc.get(sent.idx - 1), everyone[0])
            subjects = everyone[:1] if len(everyone) > 1 and not subjects else subjects
        if len(everyone) == 1 and doc.titled and sent.idx > 1:
            # «Рим и Париж после десятилетия ссор» … «Драги и Макрон подписали Договор»: the headline's pair
            everyone += _pair_partner(doc.get(0), everyone[0])
        if len(everyone) < 2:
            # "The two ministers signed the Tallinn Declaration. The document sets out a partnership between Estonia
            # and South Korea": the next sentence, about the instrument, names the sides
            ahead = _next_pair(doc, sent)
            if ahead and (not everyone or everyone[0] in ahead):
                everyone = [*everyone, *(c for c in ahead if c not in everyone)]
                subjects = subjects or everyone[:1]
        if len(everyone) == 1 and _counterpart_only(sent, start, everyone[0]):
            # "Anna Berg and her Estonian counterpart signed …, the Finnish government said": the counterpart's
            # state is one side; the speaker's state, else the state the piece opens on, is the other
            other = [c for c in speaker_of(sent, end) if c != everyone[0]] or [
                c for c in [self.default_actor(doc)] if c is not None and c != everyone[0]
            ]
            everyone = [*other[:1], *everyone]
            subjects = everyone[:1]
        if len(subjects) >= 2 and objects and sent.has("distributive", max(0, start - 3), start):
            # "Italy's Meloni and Canada's Trudeau each signed an agreement with Zelensky": one each
            return [
                Candidate(actor=a, counterparts=tuple(o for o in objects if o not in subjects), **base)
                for a in subjects
            ]
        if not subjects:
            return [Candidate(actor=None, counterparts=tuple(objects), can_create=False, **base)]
        if len(everyone) > 2 and self._plural(sent, req):
            return [Candidate(actor=everyone[0], counterparts=(o,), **base) for o in everyone[1:]]
        return [Candidate(actor=everyone[0], counterparts=tuple(everyone[1:]), can_create=len(everyone) > 1, **base)]

    def _item_candidates(
        self, items: list[Sentence], rule: Rule, subjects: list[str], base: dict[str, Any]
    ) -> list[Candidate]:
        """One event per listed instrument: the lead line's subjects act, each item names the other side."""
        out: list[Candidate] = []
        actors: list[str | None] = [*subjects] or [None]
        for item in items:
            objs = list(dict.fromkeys(c for m in item.mentions if m.is_state for c in m.codes if c not in subjects))
            etype = (rule.bilateral_type or rule.type) if objs else (rule.multilateral_type or rule.type)
            fields = {**base, "sent": item, "type": etype if rule.family == "termination" else rule.type}
            if rule.family == "termination":
                out.extend(
                    Candidate(actor=a, counterparts=tuple(objs), can_create=bool(objs), **fields) for a in actors
                )
            elif subjects and objs:
                out.append(
                    Candidate(actor=subjects[0], counterparts=tuple(o for o in [*subjects[1:], *objs]), **fields)
                )
        return out

    def _ended_object(self, sent: Sentence, start: int) -> bool:
        """A signing participle right after an instrument noun ("the communiqué signed by …", «договор,
        подписанный …») whose instrument is the object of an end, exit or suspension just before it."""
        if not sent.has("described_participle", start, start + 1):
            return False
        gap = 1 if start > 0 and sent.tokens[start - 1].text == "," else 0
        # "the accord on air services signed by …": the noun's own topic phrase may sit between
        nouns = [h for h in sent.by_tag.get("agreement", ()) if start - gap - TOPIC_SPAN <= h.end <= start - gap]
        return any(
            h.end <= a.start
            and a.start - h.end <= ENDED_OBJECT_SPAN
            and self.rules.rules[h.tag[5:]].family == "termination"
            and not any(sent.tokens[k].text == ";" for k in range(h.end, a.start))
            for a in nouns
            for h in sent.by_tag_prefix("trig:")
        )

    def _signers(self, sent: Sentence, end: int, subjects: list[str]) -> list[str]:
        """The other states named in the participle clause that describes the ended instrument ("signed by its
        former minister and Peru's envoy", «подписанное … послом Белоруссии»): its parties, so the other side."""
        for k in range(end, len(sent.tokens)):
            if sent.tokens[k].text == ";":
                return []
            if self._ended_object(sent, k):
                return list(
                    dict.fromkeys(
                        c
                        for m in sent.mentions
                        if m.is_state and k < m.start <= k + ENDED_OBJECT_SPAN + 4
                        for c in m.codes
                        if c not in subjects
                    )
                )
        return []

    def _type(self, sent: Sentence, rule: Rule, start: int, end: int, objects: list[str], hi: int) -> tuple[str, bool]:
        """Multilateral object -> withdrawal; bilateral object -> termination; None counterpart -> merge only."""
        if rule.family != "termination":
            return rule.type, True
        if sent.has("partial_object", end, end + PARTIAL_SPAN):
            # «прекращает участие в заседаниях группы», "cut off all contact with the council": the state
            # stops taking part, it does not leave
            return "suspension", True
        partners = _partner_orgs(sent, end, hi)  # "the Agreement between Niger and the EU": the EU as one side
        states = [o for o in objects if (o not in self.gazetteer.groups and o != "CoE") or o in partners]
        # "ended its agreement with the OAS": the body is one side of a bilateral instrument, not the one left
        sides = (
            _partner_orgs(sent, end, hi, ("body",), "instrument_head")
            if any(m.kind == "body" for m in sent.mentions)
            else set()
        )
        multilateral = any(
            (m.kind == "body" and not sides)
            or (m.kind == "org" and m.codes[0] in objects and m.codes[0] not in partners)
            for m in sent.mentions
            if start - 8 <= m.start < hi
        ) or (not states and any(not cues.inside_mention(sent, h.start) for h in sent.tagged("body", end, hi)))
        if not states and multilateral:
            return rule.multilateral_type or rule.type, True
        if sides and not states:
            return rule.bilateral_type or rule.type, True
        if states and not any(m.kind == "body" for m in sent.mentions if end <= m.start < hi):
            return rule.bilateral_type or rule.type, True
        return rule.type, bool(states) or rule.type == "withdrawal"

    def _side_body(self, sent: Sentence, end: int, hi: int) -> str:
        """The registry body that is one side of the ended instrument ("its agreement with the OAS"), or ""."""
        sides = _partner_orgs(sent, end, hi, ("body",), "instrument_head")
        for m in sent.mentions:  # in text order: the first body named after "with" is the side
            if m.kind != "body" or m.label not in sides:
                continue
            body = self.gazetteer.registry.for_alias(m.label) if self.gazetteer.registry else None
            if body is not None:
                return body.code
        return ""

    def _each_own(self, sent: Sentence, etype: str, subjects: list[str], objects: list[str], req: int | None) -> bool:
        """One actor ends "every"/"each" agreement with two or more states (none of them a group)."""
        others = [o for o in objects if o not in subjects]
        if etype != "termination" or len(subjects) != 1 or len(others) < 2 or req is None:
            return False
        if any(o in self.gazetteer.groups for o in others):
            return False
        return sent.has("every_instrument", max(0, req - 3), req)

    def _plural(self, sent: Sentence, req: int | None) -> bool:
        """Several separate instruments ("two agreements", "memorandums with A and B")."""
        if req is None:
            return False
        heads = {h.start: h.end for h in sent.by_tag.get("agreement", ())}
        while heads.get(req, req) in heads:  # "defence cooperation agreements": the last noun decides
            req = heads[req]
        word = sent.tokens[req].text
        before = [t.text for t in sent.tokens[max(0, req - 3) : req]]
        base = max(0, req - 3)
        # "главы трёх государств подписали соглашение": the number counts the parties, not the documents
        nums = [
            k
            for k, w in enumerate(before)
            if w in sent.vocab.plural_number and not sent.has("group_anaphora", base + k + 1, base + k + 3)
        ]
        # "two agreements" is plural; "a four-way memorandum" is one document
        if nums and not (nums[-1] + 1 < len(before) and before[nums[-1] + 1] == "-"):
            return True
        if word.isascii():
            return word.endswith("s") and not word.endswith("ss") and word not in ("ties", "relations")
        adjective_plural = bool(before) and before[-1].endswith(("ые", "ие"))
        # «подписал с Палау и Микронезией соглашения»: right after the verb or a party it is the plural object,
        # not a genitive of a head noun («проект соглашения»)
        bare = (
            word.endswith("ения")
            and req > 0
            and (cues.inside_mention(sent, req - 1) or any(h.start <= req - 1 < h.end for h in sent.triggers))
        )
        return word.endswith(_RU_PLURAL) or (adjective_plural and word.endswith(("ия", "ы", "и"))) or bare


FOLLOW_SPAN = 10  # tokens before the trigger searched for "likewise", "its own", «в свою очередь»
RECORD_LINE = 8  # tokens: "BURUNDI: WITHDRAWAL", "Signature: 29 August 2024"
RECORD_LOOKBACK = 12  # lines back to the record's title
RECORD_LABEL = 5  # tokens of a field label before the trigger ("Place and date of signature:")
LABEL_CHARS = 60  # a digest label line is a state's name, at most a long official one
_NUMBER_LABEL = re.compile(r"\d{1,2}[.)]")  # a digest item's number on its own: "1.", "2)"
_ENTRY_MARK = frozenset({":", "—", "–", "-"})  # between an entry line's label and its state


def _multilateral_head(head: Sentence) -> bool:
    """A record's title line that names a body or a multilateral treaty ("CONVENTION ON …", "ROME STATUTE …") and
    no state: the record's parties leave it, they end no bilateral agreement."""
    return not any(m.is_state for m in head.mentions) and (
        any(m.kind in ("org", "body") for m in head.mentions) or bool(head.by_tag.get("body"))
    )


def _partner_orgs(
    sent: Sentence, end: int, hi: int, kinds: tuple[str, ...] = ("org",), head: str = "agreement"
) -> set[str]:
    """Organisations that are one side of a bilateral instrument: an agreement noun, then with/between, then the org
    (a registry body has no code in its mention: its label stands for it when `kinds` takes bodies)."""
    out: set[str] = set()
    for m in sent.mentions:
        if m.kind not in kinds or not end <= m.start < hi:
            continue
        marker = max(
            (h.start for h in sent.by_tag.get("with_marker", ()) if m.start - 9 <= h.start < m.start), default=None
        )
        if (
            marker is not None and sent.has(head, max(0, marker - 3), marker) and sent.tokens[marker].text != "from"
        ) or (marker is not None and sent.tokens[marker].text in ("between", "между")):
            out.update(m.codes or (m.label,))
    return out


LIST_MAX = 10  # items read after a lead line ending in a colon


def _list_items(doc: Doc, sent: Sentence, hit: Hit) -> list[Sentence]:
    """The bulleted items after a lead line that ends right after the trigger with a colon
    ("have decided to denounce:"), each naming an instrument; [] when the line is not such a lead."""
    toks = sent.tokens
    if not (hit.end < len(toks) and toks[hit.end].text == ":" and len(toks) - hit.end <= 3):
        return []
    out = []
    for k in range(sent.idx + 1, min(len(doc), sent.idx + 1 + LIST_MAX)):
        if doc.item_of(k) != k:
            break
        item = doc.get(k)
        if item.by_tag.get("agreement"):
            out.append(item)
    return out


def _record_head(doc: Doc, sent: Sentence, hit: Hit) -> Sentence | None:
    """A field line of a record ("Signature: ...", "X: WITHDRAWAL") takes its instrument from the
    nearest line above (or the headline) that names an agreement or a treaty body."""
    toks = sent.tokens
    # "Signature: 29 August 2024", "Place and date of signature: Rome, 26 November 2021"
    label = hit.start <= RECORD_LABEL and hit.end < len(toks) and toks[hit.end].text == ":"
    # "BURUNDI: WITHDRAWAL", "Republic of Lithuania: notification of withdrawal."
    colon = next((k for k in range(hit.start - 1, max(-1, hit.start - 4), -1) if toks[k].text == ":"), None)
    tail = (
        colon is not None
        and all(_record_filler(sent, k) for k in range(colon + 1, hit.start))
        and len(toks) <= RECORD_LINE
    )
    # "United States of America. Notification of withdrawal received by the depositaries on ...": the field opens the line
    # (a qualifier may come first: "Written notification of withdrawal received by the Depositary: ...")
    first = 1 if sent.has("record_qualifier", 0, 1) else 0
    opens = (
        first < hit.start <= first + 2
        and sent.has("record_field", first, first + 1)
        and all(_record_filler(sent, k) for k in range(first, hit.start))
    )
    if not (label or tail or opens or _signature_block(sent, hit)):
        return None
    above = [doc.get(k) for k in range(sent.idx - 1, max(-1, sent.idx - 1 - RECORD_LOOKBACK), -1)]
    # the title line names the agreement; a field line above ("Type: bilateral (EU – third country)") only an org
    for cand in above:
        if cand.by_tag.get("agreement") and any(m.kind in _HEAD_KINDS for m in cand.mentions):
            return cand
    for cand in above:
        if (
            cand.by_tag.get("agreement")
            or any(m.kind in ("org", "body") for m in cand.mentions)
            or cand.by_tag.get("body")
        ):
            return cand
    return None


def _parties_field(doc: Doc, sent: Sentence) -> list[str]:
    """The states of the record's parties field ("Parties: Ghana; Togo; Benin", "Signatories: for Iceland, …"), read
    among the field lines around the signature line (a record lists them above or below it); [] without one."""
    first = 1 if doc.titled else 0
    for step in (-1, 1):
        for k in range(sent.idx + step, sent.idx + step * (RECORD_LOOKBACK + 1), step):
            if not first <= k < len(doc):
                break
            line = doc.get(k)
            if not any(t.text == ":" for t in line.tokens[: RECORD_LABEL + 1]):
                break  # not a field line: the record ends here
            label = next(iter(line.tagged("parties_field", 0, RECORD_LABEL)), None)
            if label is not None and label.end < len(line.tokens) and line.tokens[label.end].text == ":":
                return list(
                    dict.fromkeys(c for m in line.mentions if m.is_state and m.start > label.end for c in m.codes)
                )
    return []


def _signature_block(sent: Sentence, hit: Hit) -> bool:
    """ "Signed for the People's Republic of China by Wang Yi; for Burkina Faso by …": a signature block's line."""
    return hit.start == 0 and sent.has("signed_for", hit.end, hit.end + 1)


def _record_filler(sent: Sentence, k: int) -> bool:
    """Token k is a record's field word or a small word between it and the trigger ("notification of the")."""
    return sent.has("record_field", k, k + 1) or sent.has("record_filler", k, k + 1)


def _record_entry(doc: Doc, sent: Sentence) -> list[str]:
    """The state a status record's entry is about: the entry line above ("Italy", "Status record — Italy"),
    reached over the entry's other field lines ("Signature: 17 December 1994")."""
    first = 1 if doc.titled else 0  # the headline is no entry line
    for k in range(sent.idx - 1, max(first - 1, sent.idx - 1 - RECORD_LOOKBACK), -1):
        above = doc.get(k)
        states = [m for m in above.mentions if m.is_state]
        if states:
            return _entry_state(above, states)
        if not any(t.text == ":" for t in above.tokens[: RECORD_LABEL + 1]):
            return []  # not a field line: the record entry ends here
    return []


def _label_line(doc: Doc, sent: Sentence) -> list[str]:
    """The state of a digest item's label ("1. Lithuania." / «Литва.» on its own line) that the item's first
    sentence follows: the label is a line of its own or comes right after the item's number."""
    k = sent.idx - 1
    if k < (1 if doc.titled else 0):
        return []
    lo, hi = doc.spans[k]
    own_line = doc.raw[max(0, lo - 1) : lo] in ("", "\n")
    number = doc.raw[doc.spans[k - 1][0] : doc.spans[k - 1][1]].strip() if k > 0 else ""
    if hi - lo > LABEL_CHARS or not (own_line or _NUMBER_LABEL.fullmatch(number)):
        return []  # decided from the text alone: most sentences follow no label, and analysing one costs
    label = doc.get(k)
    states = [m for m in label.mentions if m.is_state]
    return _entry_state(label, states) if states and states[0].start == 0 else []


def _entry_state(line: Sentence, states: list[Mention]) -> list[str]:
    """The one state of an entry line: alone ("Estonia."), or after a short label and a dash or colon."""
    if len(states) != 1 or len(states[0].codes) != 1:
        return []
    state, toks = states[0], line.tokens
    words = [t for t in toks if t.text not in (".", ":", ",")]
    if state.start == 0 and state.end >= len(words):
        return list(state.codes)
    labelled = 0 < state.start <= RECORD_LABEL and toks[state.start - 1].text in _ENTRY_MARK
    if labelled and state.end >= len([t for t in toks if t.text != "."]):
        return list(state.codes)
    return []


_HEAD_KINDS = frozenset({"name", "metonym", "multi", "org", "body"})


def _pronoun_partner(sent: Sentence, start: int, party: str) -> list[str]:
    """ "Albanese said after he and Natano signed": "he" is the leader named before it in the sentence."""
    for h in sent.tagged("person_pronoun", 0, start):
        nxt = sent.tokens[h.end].text if h.end < len(sent.tokens) else ""
        if nxt not in sent.vocab.coordinator:
            continue
        named = [m for m in sent.mentions if m.kind == "leader" and m.end <= h.start and party not in m.codes]
        if named:
            return list(named[-1].codes[:1])
    return []


def _joint_bilateral(
    sent: Sentence, subjects: list[str], objects: list[str], start: int, end: int, req: int | None
) -> bool:
    """Two coordinated states ending their own (or a "bilateral") agreement, no other party named."""
    if len(subjects) != 2 or objects or not all(len(c) == 2 and c.isupper() and c != "EU" for c in subjects):
        return False
    stop = (req if req is not None else end) + 1
    return sent.has("own_possessive", max(0, start - 1), stop) or sent.has("bilateral", start, stop)


def _head_partner(sent: Sentence, start: int, party: str) -> list[str]:
    """«В воскресенье в Ханое еврокомиссар по торговле и министр … Вьетнама подписали…»: the first party named
    outside a prepositional phrase, joined by "and" to the side found as subject, signs too."""
    # "- Thimphu/Beijing: Bhutan's Tandi Dorji and …": a bulletin line's place label is no side
    label = next((k + 1 for k, t in enumerate(sent.tokens[:LABEL_MAX]) if t.text in (":", "—")), 0)
    first = next(
        (
            m
            for m in sent.mentions
            if m.kind in _HEAD_PARTY_KINDS and label <= m.start and m.end < start and not blocked(sent, m)
        ),
        None,
    )
    if first is None or len(first.codes) != 1 or party in first.codes:
        return []
    between = [sent.tokens[k].text for k in range(first.end, start)]
    if not any(t in sent.vocab.coordinator for t in between) or any(t in (",", ";", ":") for t in between):
        return []  # one coordinated subject: no clause break between the two sides
    return [first.codes[0]]


LABEL_MAX = 6  # tokens of a bulletin line's label ("- Thimphu/Beijing:")
_HEAD_PARTY_KINDS = frozenset({"name", "metonym", "leader", "org"})
INVERTED_GAP = 3  # «подписало правительство Кирибати»: filler words between the verb and its subject


def _inverted_subject(sent: Sentence, end: int) -> list[str]:
    """A state named right after a Russian signing verb, with only a filler («правительство», «министерство»)
    between, at the end of the clause: the subject of a verb-first sentence."""
    for m in sent.mentions:
        if not m.is_state or m.start < end or m.start > end + INVERTED_GAP:
            continue
        if all(sent.has("party_filler", k, k + 1) for k in range(end, m.start)) and (
            m.end >= len(sent.tokens) or sent.tokens[m.end].text in (".", ",", ";")
        ):
            return list(m.codes[:1])
    return []


def _named_contractor(sent: Sentence, req: int) -> bool:
    """ "signed a contract with Dassault Aviation", «контракт с Rheinmetall»: a contract whose other side is a
    name the gazetteer does not know (no state, body or official, no role word) is a deal with a company."""
    if not sent.has("contract", req, req + 1):
        return False
    marker = next(iter(sent.tagged("with_marker", req + 1, req + 3)), None)
    if marker is None or marker.end >= len(sent.tokens):
        return False
    nxt = marker.end
    return (
        sent.capitalised(nxt)
        and not cues.inside_mention(sent, nxt)
        and not any(sent.has(tag, nxt, nxt + 1) for tag in ("role", "person", "party_role", "party_filler"))
    )


def _speaker_first(sent: Sentence, start: int, everyone: list[str]) -> list[str]:
    """ "Boric told reporters …, after he and Milei signed": "he" is the speaker, the first state named
    in the sentence, so the speaker's side acts (else the one named after the pronoun would)."""
    if len(everyone) < 2:
        return everyone
    for k in range(max(1, start - 8), start):
        if sent.has("person_pronoun", k - 1, k) and sent.tokens[k].text in sent.vocab.coordinator:
            speaker = next((m for m in sent.mentions if m.is_state and len(m.codes) == 1 and m.end < k), None)
            if speaker is not None and speaker.codes[0] in everyone and sent.has("reporting", speaker.end, k):
                return [speaker.codes[0], *(c for c in everyone if c != speaker.codes[0])]
            return everyone
    return everyone


def _counterpart_only(sent: Sentence, start: int, party: str) -> bool:
    """The one side found is a nationality word before "counterpart" ("and her Estonian counterpart"), and no other
    state is named before the trigger: whoever has that counterpart speaks for a state the sentence does not name."""
    named = [m for m in sent.mentions if m.is_state and m.end <= start]
    return (
        len(named) == 1
        and party in named[0].codes
        and named[0].kind == "demonym"
        and sent.has("counterpart", named[0].end, named[0].end + 1)
    )


REFERENCE_OPEN = 3  # tokens at a sentence's start where "The new document", "It" refer to the instrument


def _next_pair(doc: Doc, sent: Sentence) -> list[str]:
    """The two or more states coordinated in the next sentence of the same paragraph when it opens by referring
    to the instrument ("The document sets out a partnership between A and B", "The accord, between A and B, …",
    "It commits A and B to …"); [] otherwise."""
    k = sent.idx + 1
    if (
        k >= len(doc)
        or doc.item_of(k) != doc.item_of(sent.idx)
        or "\n\n" in doc.raw[doc.spans[sent.idx][1] : doc.spans[k][0]]
    ):
        return []
    # decided from the text first (analysing a sentence costs): it must open on a pronoun or an article and
    # hold "between" or "and"
    vocab, words = sent.vocab, doc.folded[slice(*doc.spans[k])].split()
    if not words or (words[0] not in vocab.instrument_opener and words[0] not in vocab.instrument_determiner):
        return []
    if not any(w in vocab.pair_marker or w in vocab.coordinator for w in words):
        return []
    nxt = doc.get(k)
    toks = nxt.tokens
    first = toks[0].text.lower() if toks else ""
    opens = (
        first in nxt.vocab.instrument_opener
        or nxt.has("instrument_reference", 0, REFERENCE_OPEN)
        or (first in nxt.vocab.instrument_determiner and nxt.has("agreement", 1, REFERENCE_OPEN))
    )
    if not opens:
        return []
    return pair_of(nxt, REFERENCE_OPEN + 2)


def _pair_partner(sent: Sentence, party: str) -> list[str]:
    """ "France and Morocco are opening a new chapter, Macron said after he and King Mohammed VI signed",
    «Рахмон и Си Цзиньпин … подписали», «партнёрства Казахстана и Китая»: a signing that names one side only
    takes the other from a pair of states coordinated in the same sentence with that side."""
    states = [m for m in sent.mentions if m.is_state and len(m.codes) == 1]
    for a, b in itertools.pairwise(states):
        gap = sent.tokens[a.end : b.start]
        if (
            {a.codes[0], b.codes[0]} - {party}
            and party in (a.codes[0], b.codes[0])
            and a.codes[0] != b.codes[0]
            and 0 < len(gap) <= 2
            and all(t.text == "-" or t.text in sent.vocab.pair_join for t in gap)
            and any(t.text == "-" or t.text in sent.vocab.coordinator for t in gap)
            and not blocked(sent, a)  # «вместе с Бамако и Уагадугу»: a pair after a preposition is no side
        ):
            return [b.codes[0] if a.codes[0] == party else a.codes[0]]
    return []


CONTENT_SPAN = 25  # tokens of a content clause read for the other side
CONTENT_OPEN = 6  # tokens after the agreement noun where it may open ("a deal on Monday opening …")


def _content_partners(sent: Sentence, req: int, subjects: list[str]) -> list[str]:
    """ "signed the agreement by which the United Kingdom hands sovereignty … to Mauritius": the other state
    named in the clause that says what the agreement does."""
    opener = next(iter(sent.tagged("content_clause", req + 1, req + CONTENT_OPEN)), None)
    if opener is None:
        return []
    named = [
        c
        for m in sent.mentions
        if m.is_state
        and opener.end <= m.start < opener.end + CONTENT_SPAN
        # "a deal giving Chinese firms access": a company's nationality names no party
        and not any(sent.has(tag, m.end, m.end + 2) for tag in ("nonstate", "nonstate_head"))
        for c in m.codes
        if c not in subjects
    ]
    return list(dict.fromkeys(named))[:1]


def _possessive(sent: Sentence, pos: int) -> bool:
    toks = sent.tokens
    return pos + 1 < len(toks) and toks[pos].text == "'" and toks[pos + 1].text == "s"


SET_SPAN = 12  # tokens before the trigger where "our seven states" may stand


def _set_size(sent: Sentence, start: int, numbers: dict[str, int]) -> int:
    """The number in a set anaphora before the trigger ("our seven states" -> 7), -1 without one, 0 if none."""
    hit = next(iter(sent.tagged("set_anaphora", max(0, start - SET_SPAN), start)), None)
    if hit is None:
        return 0
    words = [sent.tokens[i].text for i in range(hit.start, hit.end)]
    return next((numbers[w] for w in words if w in numbers), next((int(w) for w in words if w.isdigit()), -1))


def _dated_clause(sent: Sentence, clause: tuple[int, int], pub_year: int | None, start: int) -> bool:
    """A relative clause tells the agreement's past only with a time in it ("which it signed in 2014");
    "the joint statement, which the two ministers signed on Friday" reports the signing itself."""
    if sent.has("past_time", *clause) or sent.has("historical", *clause):
        return True
    return any(
        clause[0] <= i < clause[1]
        and (pub_year is None or year < pub_year)
        # «Договор …, заключенный 19 ноября 1990 года»: the treaty's date, unless that participle is the trigger
        and not any(h.start != start for h in sent.tagged("signed_when", max(0, i - 8), i))
        for i, year in sent.years()
    )


def _last_pair(recent: list[str]) -> tuple[str, str] | None:
    """The last two distinct states mentioned ("the two nations" -> Russia, India)."""
    seen: list[str] = []
    for code in reversed(recent):
        if code not in seen:
            seen.append(code)
        if len(seen) == 2:
            return seen[1], seen[0]
    return None


def _postponed(sent: Sentence) -> bool:
    """A postponing word in the sentence, as a verb or noun: the second half of a hyphenated adjective
    ("the long-delayed protocol", "a twice-postponed summit") describes the document, and the signing stands."""
    toks = sent.tokens
    return any(h[1] == 0 or toks[h[1] - 1].text != "-" for h in sent.tagged("postpone", 0, len(toks)))


GROUP_SPAN = 8  # tokens before the trigger searched for "the four governments"
GROUP_LOOKBACK = 12  # sentences back to the one naming the group


def _group_anaphora(doc: Doc, sent: Sentence, start: int, numbers: dict[str, int]) -> list[str]:
    """The states "the four governments" / «лидеры пяти государств» refer back to: the latest sentence before
    (or the clause before the trigger) naming exactly that many distinct states, in its order. Empty when no
    sentence names that many (no guessing from scattered mentions), or the number is below three (pairs:
    pair_anaphora)."""
    toks = sent.tokens
    for hit in sent.tagged("group_anaphora", max(0, start - GROUP_SPAN), start):
        n = next((numbers[t.text] for t in toks[max(0, hit.start - 2) : hit.start] if t.text in numbers), 0)
        if n < 3:
            continue
        here = list(dict.fromkeys(c for m in sent.mentions if m.is_state and m.end <= start for c in m.codes))
        if len(here) == n:
            return here
        for k in range(sent.idx - 1, max(-1, sent.idx - 1 - GROUP_LOOKBACK), -1):
            named = list(dict.fromkeys(c for m in doc.get(k).mentions if m.is_state for c in m.codes))
            if len(named) == n:
                return named
    return []
