"""Who acts and who the other parties are, from mentions around a trigger in one sentence."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from parsers.extract.cues import Sentence
from parsers.extract.gazetteer import STATE_KINDS, Mention
from parsers.extract.rules import Hit

_JOIN_MARKS = frozenset({",", "&", "-", "/"})  # punctuation joining parties; the words come from config
_OPEN = frozenset({"(", "["})
_DASHES = frozenset({"-", "/"})  # "China–Kyrgyzstan" (dashes are folded to "-")
ROUTE_GAP = 3  # tokens between a route noun and the dashed names of its ends
_GUILLEMETS = frozenset({"«", "„"})  # open a company or brand name after a nationality word
_QUOTES = frozenset({"«", "»", "„", "“", "”", '"'})
_CLOSE_QUOTES = frozenset({"»", "”"})
QUOTE_TAIL = 12  # tokens from a quoted move to the closing quote
_POSSESSIVE = frozenset({"'", "s"})
COUNTERPART_SPAN = 30
PRECEDENT_SPAN = 3  # «вслед за соседней Эстонией»: the precedent word and the state's adjectives
_PARTY_KINDS = STATE_KINDS | {"org"}
PERSON_GAP = 10  # "President Vladimir Putin and": roles and names between two coordinated states
MARKER_SPAN = 9  # "with the defense ministries of Bulgaria": the state may sit a few words after "with"


@dataclass
class Parties:
    subjects: list[str]  # coordinated subject states, nearest last
    objects: list[str]  # states and orgs after the trigger (or in a between/compound pair)
    explicit: bool  # subjects came from the sentence itself
    claimed: tuple[int, str | None] | None = None  # ("ten EU countries") -> (10, "EU")
    descriptors: frozenset[str] = frozenset()  # orgs used only as a scope ("EU defense agreements")
    mentioned_before: bool = False  # some state is named before the trigger (even if not as its subject)
    told: tuple[str, ...] = ()  # states that each received the note ("notified Switzerland and the Netherlands that")


def _joins(sent: Sentence, text: str) -> bool:
    """A comma, "&", "-", "/" or the language's "and" between two parties."""
    return text in _JOIN_MARKS or text in sent.vocab.coordinator


def blocked(sent: Sentence, m: Mention) -> bool:
    """A state preceded by with/after/between... is not the subject."""
    j = m.start - 1
    while j >= 0 and sent.tokens[j].text in sent.vocab.party_determiner:
        j -= 1
    if j < 0:
        return False
    if sent.tokens[j].text in _OPEN:
        return True
    if any(h.start == j for tag in ("subject_block", "recipient_verb") for h in sent.by_tag.get(tag, ())):
        return True
    if _precedent(sent, m):
        return True
    return _after_recipient_head(sent, j)


def _precedent(sent: Sentence, m: Mention) -> bool:
    """The state set the precedent ("following neighbouring Estonia", «вслед за соседней Эстонией»)."""
    return sent.has("precedent", max(0, m.start - PRECEDENT_SPAN), m.start)


def _after_recipient_head(sent: Sentence, j: int) -> bool:
    """Token j is the head of a recipient ("sent the US embassy", «направило посольству США»), right
    after a recipient verb: the state named with it receives the note, it does not act."""
    head = next((h for h in sent.by_tag.get("recipient_head", ()) if h.end - 1 == j), None)
    if head is None:
        return False
    k = head.start - 1
    while k >= 0 and sent.tokens[k].text in sent.vocab.party_determiner:
        k -= 1
    return k >= 0 and any(h.start == k for h in sent.by_tag.get("recipient_verb", ()))


def _group_blocked(sent: Sentence, states: list[Mention], k: int, clause_start: int) -> bool:
    """Blocked when the coordination group it belongs to starts after a preposition (not at a clause start)."""
    first = _subject_group(sent, states, k)[0]
    j = first.start
    while j > clause_start and sent.tokens[j - 1].text in sent.vocab.party_determiner:
        j -= 1
    if j == clause_start and clause_start > 0:
        return False  # "after Russia walked out": Russia is the subject of that clause
    return blocked(sent, first)


def _coordinated(sent: Sentence, mentions: list[Mention], k: int) -> list[Mention]:
    """Mention k plus the mentions joined to it on the left by commas/and/hyphens (and "Government of").

    A gap may also hold who speaks for the state: "Russian President Vladimir Putin and North Korea's
    Kim", «Минобороны России генерал армии Сергей Шойгу и министр обороны Мали» (roles and names).
    """
    group = [mentions[k]]
    if k == 0:
        return group
    filler = {
        i for tag in ("party_filler", "party_role") for h in sent.by_tag.get(tag, ()) for i in range(h.start, h.end)
    }
    roles = sent.by_tag.get("party_role")
    if roles:  # "the Ghanaian finance minister and …": the portfolio word right before a role belongs to the role
        filler.update(
            h.start - 1
            for h in roles
            if h.start > 0 and sent.tokens[h.start - 1].is_word and not _joins(sent, sent.tokens[h.start - 1].text)
        )
    person = {i for tag in ("role", "person") for h in sent.by_tag.get(tag, ()) for i in range(h.start, h.end)}
    while k > 0:
        prev = mentions[k - 1]
        if _precedent(sent, prev) and not _precedent(sent, mentions[k]):
            break  # "Following Lithuania, Estonia …", «Вслед за Литвой Эстония …»: the precedent is no co-subject
        gap = range(prev.end, mentions[k].start)
        plain = (
            all(
                _joins(sent, sent.tokens[i].text) or sent.tokens[i].text in sent.vocab.party_determiner or i in filler
                for i in gap
            )
            and len(gap) <= 5
        )
        spoken = (
            not plain
            and len(gap) <= PERSON_GAP
            and any(i in person for i in gap)
            and all(
                _joins(sent, sent.tokens[i].text)
                or sent.tokens[i].text in sent.vocab.party_determiner
                or sent.tokens[i].text == "'"
                or i in filler
                or i in person
                or sent.capitalised(i)
                or sent.tokens[i].text == "s"
                for i in gap
            )
        )
        coord = any(_joins(sent, sent.tokens[i].text) for i in gap)
        # "North Korea's Kim", "Russian President Putin": one party named twice, no coordinator needed
        same = prev.codes == mentions[k].codes and prev.kind != "org"
        apposed = (
            not coord
            and len(gap) <= 4
            and all(
                sent.tokens[i].text in ("'", "s")
                or i in person
                or i in filler
                or sent.capitalised(i)
                or (same and sent.tokens[i].text in _POSSESSIVE)
                for i in gap
            )
        )
        if not apposed and not _named_member(sent, gap) and (not (plain or spoken) or (not coord and gap)):
            break
        group.insert(0, prev)
        k -= 1
    return group


def _named_member(sent: Sentence, gap: range) -> bool:
    """The gap introduces the next member by a name and its state: ", Pedro Ruiz of" in "Ana Lopez of Chile,
    Pedro Ruiz of Peru and Juan Soto of Bolivia signed" (a coordinator, one to three capitalised words, "of")."""
    toks = sent.tokens
    if not 3 <= len(gap) <= 6 or toks[gap[-1]].text not in sent.vocab.person_origin:
        return False
    i = gap[0]
    if not _joins(sent, toks[i].text):
        return False
    while i < gap[-1] and _joins(sent, toks[i].text):
        i += 1
    names = range(i, gap[-1])
    return 1 <= len(names) <= 3 and all(sent.capitalised(j) and toks[j].is_word for j in names)


def _subject_group(sent: Sentence, states: list[Mention], k: int) -> list[Mention]:
    """The coordinated group of mention k less a leading prepositional member ("in Beijing, Colombia and China")."""
    group = _coordinated(sent, states, k)
    # "According to Blinken, Washington informed…": a person after a preposition is no member either
    while (
        len(group) > 1
        and blocked(sent, group[0])
        and group[0].kind in ("metonym", "leader")
        and not _told_to(sent, group[0])
    ):
        group = group[1:]  # a place ("in Beijing"), unlike a list under one preposition ("from Iraq, Qatar and Jordan")
    return group


def _told_to(sent: Sentence, m: Mention) -> bool:
    """The mention opens the object of a recipient verb ("informed San Salvador, Guatemala City and Tegucigalpa
    that…"): the whole list hears the news, none of it is a place phrase."""
    j = m.start - 1
    while j >= 0 and sent.tokens[j].text in sent.vocab.party_determiner:
        j -= 1
    return j >= 0 and (
        any(h.start == j for h in sent.by_tag.get("recipient_verb", ())) or _after_recipient_head(sent, j)
    )


def _filler(sent: Sentence, k: int) -> bool:
    return any(h.start <= k < h.end for h in sent.by_tag.get("party_filler", ()))


def _excepted(sent: Sentence, m: Mention) -> bool:
    """ "any country other than the United States": the state right after an exception marker."""
    j = m.start
    while j > 0 and sent.tokens[j - 1].text in sent.vocab.party_determiner:
        j -= 1
    return any(h.end == j for h in sent.by_tag.get("exception_marker", ()))


def _party_orgs_after(sent: Sentence, states: list[Mention], pick: int | None, start: int) -> list[str]:
    """ "Kenya and the European Union signed": a party organisation coordinated after the subject state."""
    out: list[str] = []
    if pick is None:
        return out
    last = states[pick]
    for m in states[pick + 1 :]:
        if m.end > start or m.kind != "org":
            break
        gap = range(last.end, m.start)
        # "Kais Saied's government and the European Union signed": a possessive and a filler may stand between
        if not (
            0 < len(gap) <= 5
            and all(
                _joins(sent, sent.tokens[k].text)
                or sent.tokens[k].text in sent.vocab.party_determiner
                or sent.tokens[k].text in _POSSESSIVE
                or _filler(sent, k)
                for k in gap
            )
            and any((sent.tokens[k].text == "&" or sent.tokens[k].text in sent.vocab.coordinator) for k in gap)
        ):
            break
        out.extend(m.codes)
        last = m
    return out


def _codes(mentions: list[Mention]) -> list[str]:
    out: list[str] = []
    for m in mentions:
        out.extend(c for c in m.codes if c not in out)
    return out


def _claimed(
    sent: Sentence, lo: int, hi: int, numbers: dict[str, int]
) -> tuple[tuple[int, str | None] | None, set[str]]:
    """Find "N [group] countries" in [lo, hi); return (count, group) and the orgs used as the scope."""
    toks = sent.tokens
    for i in range(lo, hi):
        value = numbers.get(toks[i].text) or (
            int(toks[i].text) if toks[i].text.isdigit() and len(toks[i].text) < 3 else 0
        )
        if not value:
            continue
        for j in range(i + 1, min(i + 8, hi)):
            if sent.has("group_noun", j, j + 1):
                orgs = {c for m in sent.mentions if i < m.start < j and m.kind == "org" for c in m.codes}
                return (value, sorted(orgs)[0] if orgs else None), orgs
    return None, set()


def _descriptor_orgs(sent: Sentence, lo: int, hi: int) -> set[str]:
    """Orgs directly before an agreement noun ("EU defense agreements") describe, they are not parties."""
    out: set[str] = set()
    for m in sent.mentions:
        if m.kind == "org" and lo <= m.start < hi:
            nxt = [h.start for h in sent.by_tag.get("agreement", ()) if m.end <= h.start <= m.end + 2]
            # "the European Union signed a memorandum": a verb between makes the org a party, not a descriptor
            if nxt and not any(m.end <= t.start < nxt[0] for t in sent.triggers):
                out.update(m.codes)
    return out


def _marked(sent: Sentence, end: int, mentions: list[Mention]) -> list[Mention]:
    """Right-side mentions that sit in a with/between/from phrase, are orgs, or are compounds/coordinated."""
    markers = [h.start for h in sent.by_tag.get("with_marker", ()) if h.start >= end]
    commas = [i for i in range(end, len(sent.tokens)) if sent.tokens[i].text in (",", ";")]
    out: list[Mention] = []
    for k, m in enumerate(mentions):
        gap_ok = (
            k > 0
            and mentions[k - 1] in out
            and all(
                _joins(sent, t.text) or t.text in sent.vocab.party_determiner
                for t in sent.tokens[mentions[k - 1].end : m.start]
            )
        )
        hyphen = (
            k + 1 < len(mentions)
            and sent.tokens[m.end : mentions[k + 1].start]
            and all(t.text == "-" for t in sent.tokens[m.end : mentions[k + 1].start])
        )
        near_noun = any(
            m.start - 2 <= h.end <= m.start
            for tag in ("agreement", "body", "membership_noun")
            for h in sent.by_tag.get(tag, ())
        )
        org_ok = m.kind in ("org", "multi") and (m.start - end <= 4 or near_noun)
        marker = max((b for b in markers if b < m.start), default=None)
        in_phrase = (
            marker is not None and m.start - marker <= MARKER_SPAN and not any(marker < c < m.start for c in commas)
        )
        if org_ok or gap_ok or hyphen or in_phrase or _support_recipient(sent, end, m):
            out.append(m)
    return out


def _support_recipient(sent: Sentence, end: int, m: Mention) -> bool:
    """ "halts all aid to Niger", «приостановили помощь Бурунди»: the state right after an aid or contacts noun,
    bare (a Russian dative) or after a recipient preposition (and an article: "to the Lebanese army"), is the
    other side of the suspension."""
    for h in sent.by_tag.get("support_ties", ()):
        if end <= h.end <= m.start <= h.end + 2 and all(
            sent.has("support_recipient", k, k + 1) or sent.tokens[k].text in sent.vocab.party_determiner
            for k in range(h.end, m.start)
        ):
            # "aid to the Lebanese army": a nationality word stands for its state only before what speaks for it
            return m.kind != "demonym" or sent.has("demonym_head", m.end, m.end + 2)
        # "freezes Lebanese army grant": the recipient's nationality word and its forces before the aid noun
        if (
            m.kind == "demonym"
            and end <= m.start
            and m.end < h.start <= m.end + 2
            and sent.has("demonym_head", m.end, m.end + 1)
            and all(sent.has("demonym_head", k, k + 1) for k in range(m.end, h.start))
        ):
            return True
    return False


def _marked_left(sent: Sentence, states: list[Mention], after: int, start: int) -> list[Mention]:
    """States after the subject and before the trigger that follow with/between ("pact with Oman")."""
    markers = {h.start for h in sent.by_tag.get("with_marker", ())}
    out: list[Mention] = []
    for m in states[after + 1 :]:
        if m.end > start:
            break
        j = m.start - 1
        while j >= 0 and sent.tokens[j].text in sent.vocab.party_determiner:
            j -= 1
        if j in markers or (out and all(_joins(sent, t.text) for t in sent.tokens[out[-1].end : m.start])):
            out.append(m)
    return out


def _pair(sent: Sentence, states: list[Mention], hi: int, end: int) -> list[str]:
    """ "between A and B" / «между A и B» / "the Russia-Belarus alliance": a coordinated pair."""
    pairs = [m for m in states if m.start < hi]  # a party org counts only in "between the EU and X"
    for k in range(len(pairs) - 1, -1, -1):
        group = _coordinated(sent, pairs, k)
        joints = {t.text for a, b in itertools.pairwise(group) for t in sent.tokens[a.end : b.start]}
        before = group[0].start - 1
        while before >= 0 and sent.tokens[before].text in sent.vocab.party_determiner:
            before -= 1
        between = before >= 0 and sent.tokens[before].text in ("between", "между")
        if not between and any(m.kind == "org" for m in group):
            group = [m for m in group if m.kind != "org"]
            if not group:
                continue
        joined = "-" in joints or "/" in joints
        lo = min(end, group[0].start)
        marked = any(
            lo <= h.start < group[0].start and sent.tokens[h.start].text not in ("between", "между")
            for h in sent.by_tag.get("with_marker", ())
        )
        if (len(group) >= 2 and (between or joined or not marked)) or (
            group[0].kind == "multi" and len(group[0].codes) > 1
        ):
            return _codes(group)
    return []


def pair_of(sent: Sentence, near: int) -> list[str]:
    """The coordinated states of a sentence that an instrument binds: after "between" ("a partnership between
    Estonia and South Korea") or opening within `near` tokens of its start ("It commits Senegal and the Gambia
    to"); [] without such a group of two or more states ("It was welcomed by Uganda and Kenya" names none)."""
    states = [m for m in sent.mentions if m.kind in STATE_KINDS and not _nonstate(sent, m)]
    for k in range(len(states) - 1, -1, -1):
        group = _coordinated(sent, states, k)
        if len(group) < 2 or any(m.kind == "org" for m in group):
            continue
        j = group[0].start - 1
        while j >= 0 and sent.tokens[j].text in sent.vocab.party_determiner:
            j -= 1
        between = j >= 0 and sent.tokens[j].text in sent.vocab.pair_marker
        # "It commits A and B", not "It was welcomed by A and B" (the pair after a preposition is no side)
        direct = (
            group[0].start <= near and j >= 0 and not sent.has("with_marker", j, j + 1) and not blocked(sent, group[0])
        )
        if between or direct:
            return _codes(group)
    return []


def _subject_index(sent: Sentence, states: list[Mention], start: int, clause_start: int) -> int | None:
    """Index of the subject: the last unblocked state ending before the trigger.

    Mentions are in text order, so the ones inside the trigger's clause are a suffix of the
    candidates: "the last in the clause, else the last anywhere" is simply the last one, and
    scanning from the right stops at the first unblocked state instead of testing them all.
    """
    asides = _asides(sent, start)
    for k in range(len(states) - 1, -1, -1):
        m = states[k]
        if (
            m.end <= start
            and m.kind in STATE_KINDS
            and not _group_blocked(sent, states, k, clause_start)
            and not any(a <= m.start < b for a, b in asides)
            and _stands_for_state(sent, m, start)
        ):
            return k
    return None


def _nonstate(sent: Sentence, m: Mention) -> bool:
    """A nationality word describing a company, club or player ("a Saudi club"), or opening an instrument's
    name, names no state party; nor does a state owning or housing a company ("Argentina's state-controlled
    YPF", «нефтяная компания Бразилии»), nor the party coordinated with such a company ("… and Malaysia's
    Petronas", «… и китайская Sinopec»)."""
    if m.kind not in STATE_KINDS:
        return False
    if _nonstate_words(sent) and _owned_or_housed(sent, m):
        return True
    if "route_head" in sent.by_tag and _route_end(sent, m):
        return True
    if m.kind != "demonym":
        return False
    if _brand_after(sent, m):
        return True
    # "the American Convention on Human Rights": a demonym opening an instrument's proper name names no party
    return (
        m.start > 0
        and sent.tokens[m.start - 1].text == "the"
        and m.end < len(sent.tokens)
        and sent.capitalised(m.start)
        and sent.capitalised(m.end)
        and sent.has("instrument_head", m.end, m.end + 1)
    )


def _nonstate_words(sent: Sentence) -> bool:
    """The sentence holds a company head or an attributive place noun at all (most do not: a quick exit)."""
    return "nonstate_head" in sent.by_tag or "place_attributive" in sent.by_tag


def _owned_or_housed(sent: Sentence, m: Mention) -> bool:
    """A company of this state, a city used attributively, or a company coordinated with another state's."""
    if _company_of(sent, m):
        return True
    if m.kind == "metonym" and sent.has("place_attributive", m.end, m.end + 1):
        return True
    if _possessive_after(sent, m.end) or (m.kind == "demonym" and sent.capitalised(m.end)):
        # checked first: most mentions are neither, and the search for the one before is the dear part
        prev = next((x for x in reversed(sent.mentions) if x.end <= m.start), None)
        if (
            prev is not None
            and m.start - prev.end <= 8
            and any(sent.tokens[k].text in sent.vocab.coordinator for k in range(prev.end, m.start))
            and _company_of(sent, prev)
        ):
            return True
    return False


def _company_of(sent: Sentence, m: Mention) -> bool:
    """A company head right after a nationality word or a state's possessive, or right before a state's name."""
    if m.kind == "demonym" and sent.has("nonstate_head", m.end, m.end + 3):
        return True
    if m.kind not in STATE_KINDS:
        return False
    if _possessive_after(sent, m.end) and sent.has("nonstate_head", m.end + 2, m.end + 6):
        return True
    return m.kind in ("name", "metonym") and sent.has("nonstate_head", max(0, m.start - 1), m.start)


def _route_end(sent: Sentence, m: Mention) -> bool:
    """«железной дороги Китай — Киргизия — Узбекистан», "the China–Kyrgyzstan–Uzbekistan railway": states
    joined by dashes into the name of a route (railway, pipeline, corridor) are its ends, not parties."""
    chain = [m]
    ordered = [x for x in sent.mentions if x.kind in STATE_KINDS]
    k = ordered.index(m)
    for step in (-1, 1):
        j = k + step
        while 0 <= j < len(ordered):
            a, b = (ordered[j], chain[0]) if step < 0 else (chain[-1], ordered[j])
            if b.start - a.end != 1 or sent.tokens[a.end].text not in _DASHES:
                break
            chain.insert(0, ordered[j]) if step < 0 else chain.append(ordered[j])
            j += step
    if len(chain) < 2:
        return False
    lo, hi = chain[0].start, chain[-1].end
    if sent.has("route_head", max(0, lo - ROUTE_GAP), lo):
        return True
    # "the China-Kyrgyzstan-Uzbekistan railway agreement": the compound names the agreement's parties
    return any(not sent.has("instrument_head", h.end, h.end + 1) for h in sent.tagged("route_head", hi, hi + ROUTE_GAP))


def _brand_after(sent: Sentence, m: Mention) -> bool:
    """«китайская Sinopec», «российская «Роснефть»»: a name in guillemets, or in another script than the
    nationality word, right after it is a company's or a brand's (people's names are transliterated)."""
    toks = sent.tokens
    if m.end >= len(toks):
        return False
    word, name = toks[m.start].text, toks[m.end].text
    return name in _GUILLEMETS or (name[0].isalpha() and _latin(name[0]) != _latin(word[0]))


def _latin(ch: str) -> bool:
    return "a" <= ch.lower() <= "z"


def _possessive_after(sent: Sentence, k: int) -> bool:
    """ "Argentina's": an apostrophe and "s" right after the name."""
    toks = sent.tokens
    return k + 1 < len(toks) and toks[k].text in ("'", "’") and toks[k + 1].text == "s"


def _stands_for_state(sent: Sentence, m: Mention, start: int) -> bool:
    """A demonym acts only when it qualifies who speaks for the state ("Chilean officials", "the Russian
    side", "Thai and American commanders") or stands right before the verb; not "the French contingent"."""
    if m.kind != "demonym" or m.end >= start - 1:
        return True
    return any(
        sent.has(tag, m.end, m.end + 2)
        for tag in ("demonym_head", "role", "person", "party_filler", "agreement", "relations")
    )


FIRST_PERSON_SPAN = 6  # tokens between a quoted "we" and its verb ("We have now decided to …")
SPEAKER_SPAN = 8  # tokens between a reporting verb and the state whose officials speak


def _speaker(sent: Sentence, states: list[Mention], end: int) -> list[str]:
    """The state of a reporting clause after the trigger (", X's foreign ministry said"): it acts when the
    subject itself is unknown (a capital or leader missing from the gazetteer)."""
    for h in sent.tagged("reporting", end, len(sent.tokens)):
        if not any(sent.tokens[i].text == "," for i in range(max(end, h.start - 10), h.start + 1)):
            continue
        near = [m for m in states if m.is_state and abs(m.start - h.start) <= SPEAKER_SPAN and m.start > end]
        if near:
            return list(near[0].codes[:1])
    return []


def speaker_of(sent: Sentence, end: int) -> list[str]:
    """The state of a reporting clause after the trigger (", the Finnish government said", «, сообщило
    правительство Финляндии»): the first state after its comma, [] without one."""
    m = _quote_speaker(sent, [m for m in sent.mentions if m.is_state], end)
    return list(m.codes[:1]) if m is not None else []


def _fronted_announcer(states: list[Mention], verb: Hit | None) -> list[str]:
    """The state right after the announcing verb that follows a fronted «о + move» («… объявило эстонское
    внешнеполитическое ведомство», «… сообщил МИД Эстонии»)."""
    if verb is None:
        return []
    near = [m for m in states if m.is_state and verb.end <= m.start <= verb.end + SPEAKER_SPAN]
    return list(near[0].codes[:1]) if near else []


def _quote_speaker(sent: Sentence, states: list[Mention], end: int) -> Mention | None:
    """The state of the reporting clause after a quote (", — заявила премьер-министр Италии"): the first
    state after the last comma before the reporting verb, within SPEAKER_SPAN of it."""
    for h in sent.tagged("reporting", end, len(sent.tokens)):
        commas = [i for i in range(max(end, h.start - 10), h.start + 1) if sent.tokens[i].text == ","]
        if not commas:
            continue
        near = [m for m in states if m.is_state and m.start > commas[-1] and m.start - h.start <= SPEAKER_SPAN]
        if near:
            return near[0]
    return None


def _quoted(sent: Sentence, start: int, end: int) -> bool:
    """«Соглашение продлеваться не будет», — заявил премьер Швеции: an impersonal move inside a quote that
    the sentence attributes afterwards; the speaker's state acts (as for a quoted "we")."""
    toks = sent.tokens
    before = [k for k in range(start) if toks[k].text in _QUOTES]
    if not before or toks[before[-1]].text in _CLOSE_QUOTES:
        return False
    return any(toks[k].text in _QUOTES for k in range(end, min(len(toks), end + QUOTE_TAIL)))


def _asides(sent: Sentence, start: int) -> list[tuple[int, int]]:
    """Comma-bounded participle asides before the trigger (", noting the attitude of France,"): their
    states are not the subject."""
    out = []
    for h in sent.tagged("aside_opener", 0, start):
        if h.start == 0 or sent.tokens[h.start - 1].text != ",":
            continue
        close = next((i for i in range(h.end, start) if sent.tokens[i].text == ","), None)
        if close is not None:
            out.append((h.start, close))
    return out


def _told(sent: Sentence, states: list[Mention], k: int | None, start: int) -> list[str]:
    """ "Chile notified Peru that it is leaving...": states right after a recipient verb, before the trigger."""
    verbs = {h.start for h in sent.by_tag.get("recipient_verb", ())}
    if not verbs:
        return []
    out: list[str] = []
    last: Mention | None = None  # the last told mention: "notified Switzerland and the Netherlands" tells both
    for m in states[(k + 1 if k is not None else 0) :]:
        if m.end > start:
            break
        j = m.start - 1
        while j >= 0 and sent.tokens[j].text in sent.vocab.party_determiner:
            j -= 1
        listed = last is not None and all(
            _joins(sent, t.text) or t.text in sent.vocab.party_determiner for t in sent.tokens[last.end : m.start]
        )
        if j in verbs or _after_recipient_head(sent, j) or listed:
            out.extend(c for c in m.codes if c not in out)
            last = m
    return out


def find_parties(
    sent: Sentence, start: int, end: int, clause: tuple[int, int], numbers: dict[str, int], stop: int | None = None
) -> Parties:
    """Subjects before the trigger, objects after it, with between/compound pairs as fallback."""
    states = [m for m in sent.mentions if m.kind in _PARTY_KINDS and not _nonstate(sent, m)]
    pick = _subject_index(sent, states, start, clause[0])
    told = _told(sent, states, pick, start)
    subjects = _codes(_subject_group(sent, states, pick)) if pick is not None else []
    subjects += [c for c in _party_orgs_after(sent, states, pick, start) if c not in subjects]
    hi = min(clause[1], end + COUNTERPART_SPAN, stop if stop is not None else len(sent.tokens))
    claimed, scope_orgs = _claimed(sent, end, hi, numbers)
    descriptors = _descriptor_orgs(sent, 0, hi) | scope_orgs
    right = _marked(sent, end, [m for m in states if end <= m.start < hi and not _excepted(sent, m)])
    if right and sent.tokens[right[-1].start - 1].text == ",":
        # "… the treaty with Bangladesh, India's foreign ministry said": the speaker after the comma is no listed side
        speaker = _quote_speaker(sent, [m for m in states if m.is_state], end)
        right = [m for m in right if m is not speaker]
    objects = [c for c in _codes(right) if c not in subjects]
    # "told Bolivia, which chairs UNASUR, that they would stop taking part in the bloc": a body's chair or
    # depositary hears of the move, it is no party to it
    to_body = any(m.kind in ("org", "body") and end <= m.start < hi for m in sent.mentions) or sent.has("body", end, hi)
    objects += [c for c in told if c not in subjects and c not in objects and not to_body]
    if subjects and not objects:  # "Kenya's pact with Oman took effect": the partner sits before the trigger
        objects = [c for c in _codes(_marked_left(sent, states, pick, start)) if c not in subjects]
    if not subjects and sent.has("nominal_trigger", start, start + 1):
        # "the withdrawal of Nicaragua from", «выход Российской Федерации из», «приостановление Россией действия»
        at = end + 1 if end < len(sent.tokens) and sent.tokens[end].text == "of" else end
        owner = next((m for m in states if m.start == at and m.is_state), None)
        if owner is not None:
            subjects = list(owner.codes)
            objects = [c for c in objects if c not in subjects]
    if not subjects:  # "suspending Iran's cooperation with the IAEA": the possessor right after the trigger acts
        owner = next(
            (
                m
                for m in states
                if end <= m.start <= end + 2
                and m.is_state
                and m.end + 1 < len(sent.tokens)
                and sent.tokens[m.end].text == "'"
                and sent.tokens[m.end + 1].text == "s"
            ),
            None,
        )
        if owner is not None:
            subjects = list(owner.codes)
            objects = [c for c in objects if c not in subjects]
    if not subjects:  # "to give effect to … the United Kingdom's free trade agreements with Australia"
        owner = next(
            (
                m
                for m in states
                if end <= m.start < hi
                and m.is_state
                and m.end + 1 < len(sent.tokens)
                and sent.tokens[m.end].text == "'"
                and sent.tokens[m.end + 1].text == "s"
                and sent.has("agreement", m.end + 2, m.end + 6)
            ),
            None,
        )
        if owner is not None:
            subjects = list(owner.codes)
            objects = [c for c in objects if c not in subjects]
    if not subjects:  # "was terminated by Ecuador": the agent right after the trigger acts
        by = next((h.start for h in sent.tagged("passive_by", end, end + 2)), None)
        agent = next((m for m in states if by is not None and by < m.start <= by + 2 and m.is_state), None)
        if agent is not None:
            subjects = list(agent.codes)
            objects = [c for c in objects if c not in subjects] or [
                c for m in states if m.end <= start and m.is_state for c in m.codes if c not in subjects
            ]
    if not subjects:  # "told Ecuadorians that the country was withdrawing", «о выходе страны из»
        # «правительство Кирибати подписало»: a government named with its state is that state, no anaphor
        anaphor = next(
            (
                h
                for h in sent.tagged("self_anaphora", max(0, start - 4), end + 2)
                if not any(m.start == h.end for m in states)
            ),
            None,
        )
        named = [m for m in states if m.is_state and anaphor is not None and m.end <= anaphor.start]
        if named:
            subjects = list(named[-1].codes[:1])
            objects = [c for c in objects if c not in subjects]
    if not subjects and start >= 2 and sent.tokens[start - 1].text == "of" and sent.has("notice", start - 2, start - 1):
        # "received a written notification of withdrawal from the Government of Malaysia": the sender acts
        sender = next(
            (
                m
                for m in states
                if m.is_state
                and end < m.start <= end + 5
                and sent.tokens[end].text == "from"
                and all(
                    sent.tokens[k].text in sent.vocab.party_determiner or _filler(sent, k)
                    for k in range(end + 1, m.start)
                )
            ),
            None,
        )
        if sender is not None:
            subjects = list(sender.codes[:1])
            objects = [c for c in objects if c not in subjects]
    if not subjects:  # «Прекратить действие для Российской Федерации Договора …»: the state the act is for
        marker = next((h for h in sent.tagged("for_party", end, hi)), None)
        owner = next(
            (m for m in states if marker is not None and marker.end <= m.start <= marker.end + 1 and m.is_state), None
        )
        if owner is not None and not any(m.is_state and m.end <= start for m in states):
            subjects = list(owner.codes[:1])
            objects = [c for c in objects if c not in subjects]
    if not subjects and (
        sent.has("first_person", max(0, start - FIRST_PERSON_SPAN), start) or _quoted(sent, start, end)
    ):
        # '"We have signed a pact with Peru," Chile's president said': the quoted "we" is the speaker's state
        speaker = _quote_speaker(sent, states, end)
        subjects = list(speaker.codes[:1]) if speaker is not None else []
        objects = [c for c in objects if c not in subjects]
        if speaker is not None and not objects:  # "…," she said after talks with her Japanese counterpart
            objects = [
                c
                for m in states
                # or inside the quote before the move: «Договор с Японией расторгнут», — сообщил министр Кореи
                if m.is_state
                and (m.start > speaker.start or m.end <= start)
                and sent.has("with_marker", max(0, m.start - 3), m.start)
                for c in m.codes[:1]
                if c not in subjects
            ][:1]
    if start > 0 and sent.has("sign_topic", start - 1, start) and "reporting" in sent.by_tag:
        # «О выходе из СГБМ объявила Эстония», «О приостановке соглашения с Литвой объявил Минск»: a fronted
        # «о + move» names its announcer after the verb; it acts unless the move names its own actor
        # («О выходе Эстонии из СГБМ сообщил МИД Латвии»)
        verb = next(iter(sent.tagged("reporting", end, len(sent.tokens))), None)
        announcer = _fronted_announcer(states, verb)
        if announcer and not subjects:
            subjects = announcer
        # the announcer is the other side only when the move itself names it («… с Белоруссией сообщил МИД Белоруссии»)
        in_move = {c for m in states if verb is not None and m.end <= verb.start for c in m.codes}
        objects = [c for c in objects if c not in subjects and (c not in announcer or c in in_move)]
    if not subjects:  # "Montevideo is leaving UNASUR, Uruguay's foreign ministry said"
        # "The cabinet placed the treaty with Bangladesh in abeyance, India's foreign ministry said": the speaker
        # acts for an unnamed subject when it is not the other side
        if not objects:
            subjects = _speaker(sent, states, end)
        else:
            speaker = _quote_speaker(sent, [m for m in states if m.is_state], end)
            subjects = [c for c in (speaker.codes[:1] if speaker is not None else ()) if c not in objects]
    if subjects and not objects and pick is None:
        # "The cabinet placed the treaty with Bangladesh in abeyance, India's foreign ministry said"
        objects = [c for c in _codes(_marked_left(sent, states, -1, start)) if c not in subjects]
    if not subjects:
        pair = _pair(sent, states, hi, end)
        if pair:
            subjects = pair[:1]
            objects = pair[1:] + [c for c in objects if c not in pair]
    before = any(m.end <= start and m.kind in STATE_KINDS for m in states)
    heard = tuple(c for c in told if c in objects) if not to_body else ()
    return Parties(subjects, objects, bool(subjects), claimed, frozenset(descriptors), before, heard)
