"""The evaluation convention of the labelled sets, as code we own (no dependency on ../shared).

Gold and predicted events of one item are matched one to one, within a family (termination =
termination | suspension | withdrawal; partnership = partnership_signed | partnership_strengthened).
Lenient: terminations need the same actor and counterpart sets with Jaccard >= 0.5 (gold ["MULTI"]
matches any counterparts); partnerships need party sets ({actor} + counterparts, MULTI left out)
with Jaccard >= 0.5. Strict adds the exact type and identical sets. A negative item (no gold events)
with any predicted event is a false alarm. `tests/test_eval_scoring.py` pins this behaviour.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

FAMILIES = {
    "termination": "termination",
    "suspension": "termination",
    "withdrawal": "termination",
    "partnership_signed": "partnership",
    "partnership_strengthened": "partnership",
}


def family(event: Mapping[str, Any]) -> str | None:
    fam = str(event.get("family") or "").lower()
    return fam if fam in ("termination", "partnership") else FAMILIES.get(str(event.get("type") or "").lower())


def _codes(values: Iterable[Any] | None) -> set[str]:
    return {str(v).upper() for v in values or () if str(v).strip()}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def matches(gold: Mapping[str, Any], pred: Mapping[str, Any], strict: bool) -> bool:
    """Whether a predicted event stands for a gold one under the convention."""
    if family(gold) is None or family(gold) != family(pred):
        return False
    if strict and str(gold.get("type", "")).lower() != str(pred.get("type", "")).lower():
        return False
    g_actor, p_actor = str(gold.get("actor") or "").upper(), str(pred.get("actor") or "").upper()
    g_cp, p_cp = _codes(gold.get("counterparts")), _codes(pred.get("counterparts"))
    if family(gold) == "termination":
        if g_actor != p_actor:
            return False
        if g_cp == {"MULTI"}:
            return True
        return g_cp == p_cp if strict else _jaccard(g_cp, p_cp) >= 0.5
    g_parties = ({g_actor} | g_cp) - {"MULTI", ""}
    p_parties = ({p_actor} | p_cp) - {""}
    return g_parties == p_parties if strict else _jaccard(g_parties, p_parties) >= 0.5


def _count(gold: list[Mapping[str, Any]], pred: list[Mapping[str, Any]], strict: bool) -> tuple[int, int, int]:
    free, tp = list(pred), 0
    for g in gold:
        hit = next((i for i, p in enumerate(free) if matches(g, p, strict)), None)
        if hit is not None:
            tp += 1
            del free[hit]
    return tp, len(free), len(gold) - tp


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "tp": tp, "fp": fp, "fn": fn}


def score(gold: Mapping[str, Mapping[str, Any]], pred: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Precision/recall/F1 lenient and strict, per language and (lenient) per family; false-alarm rate."""
    buckets: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    negatives = alarms = 0
    for doc_id, doc in gold.items():
        g_events = list(doc.get("events") or [])
        p_events = [e for e in (pred.get(doc_id) or {}).get("events", []) if family(e)]
        if not g_events:
            negatives += 1
            alarms += bool(p_events)
        for strict in (False, True):
            mode = "strict" if strict else "lenient"
            got = _count(g_events, p_events, strict)
            for key in (mode, f"{mode}:{doc.get('lang', '?')}"):
                buckets[key] = [a + b for a, b in zip(buckets[key], got, strict=True)]
            if not strict:
                for fam in {family(e) for e in g_events} | {family(e) for e in p_events}:
                    got_f = _count(
                        [e for e in g_events if family(e) == fam], [e for e in p_events if family(e) == fam], False
                    )
                    key = f"lenient:{fam}"
                    buckets[key] = [a + b for a, b in zip(buckets[key], got_f, strict=True)]
    report: dict[str, Any] = {k: _prf(*v) for k, v in sorted(buckets.items())}
    report["false_alarm_rate"] = round(alarms / negatives, 3) if negatives else 0.0
    report["negatives"], report["documents"] = negatives, len(gold)
    return report
