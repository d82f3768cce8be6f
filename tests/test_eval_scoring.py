"""bench/scoring.py keeps the labelled sets' convention: pinned on small cases, and equal to the
reference scorer in ../shared/eval when that folder is beside the repository."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.scoring import matches, score
from tests.support import REPO

T = {"type": "termination", "actor": "RU", "counterparts": ["PL", "DE"]}


@pytest.mark.parametrize(
    "gold, pred, lenient, strict",
    [
        (T, {**T, "counterparts": ["DE", "PL"]}, True, True),
        (T, {**T, "counterparts": ["PL"]}, True, False),  # Jaccard 0.5
        (T, {**T, "counterparts": ["PL", "FR", "IT"]}, False, False),  # Jaccard 0.25
        (T, {**T, "actor": "PL", "counterparts": ["RU", "DE"]}, False, False),  # the actor matters
        (T, {**T, "type": "suspension"}, True, False),  # same family, other type
        ({**T, "counterparts": ["MULTI"]}, {**T, "counterparts": []}, True, True),
        (
            {"type": "partnership_signed", "actor": "IN", "counterparts": ["SG"]},
            {"type": "partnership_strengthened", "actor": "SG", "counterparts": ["IN"]},
            True,
            False,
        ),
        (T, {"type": "partnership_signed", "actor": "RU", "counterparts": ["PL", "DE"]}, False, False),
    ],
)
def test_matching_convention(gold, pred, lenient, strict):
    assert matches(gold, pred, False) is lenient and matches(gold, pred, True) is strict


def test_false_alarms_and_one_to_one_matching():
    gold = {"a": {"lang": "en", "events": [T]}, "n": {"lang": "ru", "events": []}}
    pred = {"a": {"events": [T, T]}, "n": {"events": [T]}}
    rep = score(gold, pred)
    assert rep["lenient"] == {"precision": 0.333, "recall": 1.0, "f1": 0.5, "tp": 1, "fp": 2, "fn": 0}
    assert rep["false_alarm_rate"] == 1.0 and rep["negatives"] == 1


def test_same_numbers_as_the_reference_scorer(tmp_path):
    reference = REPO.parent / "shared" / "eval" / "score.py"
    if not reference.exists():
        pytest.skip("../shared/eval/score.py is only beside the repository for developers and CI")
    gold = [
        {"id": "1", "lang": "en", "events": [T]},
        {"id": "2", "lang": "ru", "events": [{"type": "withdrawal", "actor": "ML", "counterparts": ["MULTI"]}]},
        {"id": "3", "lang": "en", "events": []},
        {"id": "4", "lang": "en", "events": [{"type": "partnership_signed", "actor": "IN", "counterparts": ["SG"]}]},
    ]
    pred = [
        {"id": "1", "events": [{**T, "counterparts": ["PL"]}]},
        {"id": "2", "events": [{"type": "suspension", "actor": "ML", "counterparts": ["ECOWAS"]}]},
        {"id": "3", "events": [T]},
        {"id": "4", "events": []},
    ]
    g, p = tmp_path / "g.jsonl", tmp_path / "p.jsonl"
    g.write_text("\n".join(json.dumps(x) for x in gold), encoding="utf-8")
    p.write_text("\n".join(json.dumps(x) for x in pred), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(reference), str(g), str(p), "--json"], capture_output=True, text=True, check=True
    ).stdout
    ref, _ = json.JSONDecoder().raw_decode(out)
    ours = score({d["id"]: d for d in gold}, {d["id"]: d for d in pred})
    for key in ("lenient", "strict", "lenient:en", "lenient:ru", "lenient:termination", "lenient:partnership"):
        assert {k: ours[key][k] for k in ("tp", "fp", "fn", "f1")} == {k: ref[key][k] for k in ("tp", "fp", "fn", "f1")}
    assert ours["false_alarm_rate"] == ref["false_alarm_rate"]
