"""`make eval`: the rules scored on every labelled set we have, one table, floors pinned for dev sets.

usage: python bench/eval_all.py [--feedback FILE.jsonl] [--check] [--show SET] [--json OUT]
Sets: dev and dev-b from ../shared/eval (only when that folder is beside the repo), every blind
batch in bench/corpus/ (our own texts; see bench/corpus/SCORES.md for each batch's FIRST score:
the figures here are after fixing), and analysts' exported feedback (FEEDBACK=… in make).
Scoring is bench/scoring.py (the sets' convention, our code). `--check` exits 1 when dev or dev-b
fall below the floors the extraction issue pins (lenient F1 >= 0.93 per language, strict >= 0.85,
false alarms <= 3%).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import pathlib
import sys
import time
from datetime import datetime
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scoring import score
from parsers.extract.engine import load_extractor
from parsers.models import ExtractionInput

SHARED = ROOT.parent / "shared" / "eval"
FLOORS = {"lenient_lang": 0.93, "strict": 0.85, "false_alarm": 0.03}


def load(path: pathlib.Path) -> dict[str, dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return {d["id"]: d for d in (json.loads(line) for line in fh if line.strip())}


def predict(extractor: Any, gold: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for key, item in gold.items():
        published = item.get("published")
        doc = ExtractionInput(
            text=item["text"],
            title=item.get("title") or "",
            lang=item.get("lang"),
            published=datetime.fromisoformat(published) if published else None,
            id=key,
        )
        out[key] = {"id": key, "events": [e.to_json() for e in extractor.extract(doc)]}
    return out


def sets(feedback: str | None) -> list[tuple[str, pathlib.Path]]:
    found = [(name, SHARED / f"{name}.jsonl") for name in ("dev", "dev-b") if (SHARED / f"{name}.jsonl").exists()]
    found += [(p.stem, p) for p in sorted((ROOT / "bench" / "corpus").glob("b*.jsonl"))]
    if feedback:
        found.append(("feedback", pathlib.Path(feedback)))
    return found


def row(name: str, gold: dict, rep: dict) -> str:
    def f1(key: str) -> str:
        return f"{rep[key]['f1']:.3f}" if key in rep else "  -  "

    events = sum(len(d.get("events") or []) for d in gold.values())
    return (
        f"{name:22} {len(gold):5d} {events:6d}  {f1('lenient')}  {f1('lenient:en')}  {f1('lenient:ru')}  "
        f"{f1('strict')}  {rep['false_alarm_rate']:.3f}  {f1('lenient:termination')}  {f1('lenient:partnership')}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feedback", help="analysts' export (treatywatch feedback export --out FILE)")
    ap.add_argument("--check", action="store_true", help="exit 1 when dev/dev-b miss the pinned floors")
    ap.add_argument("--show", help="print gold vs predicted for the misses of this set")
    ap.add_argument("--json", help="write every report as JSON to this file")
    ap.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out sets whose name matches (e.g. batches kept for a final blind score)",
    )
    args = ap.parse_args()
    t0 = time.process_time()
    extractor = load_extractor(ROOT / "config")
    print(f"{'set':22} {'items':>5} {'events':>6}  lenF1  en     ru     strict FA     term   partn")
    reports, failed, all_gold, all_pred = {}, [], {}, {}
    for name, path in sets(args.feedback):
        if skipped(name, args.skip):
            continue
        gold = load(path)
        pred = predict(extractor, gold)
        rep = reports[name] = score(gold, pred)
        print(row(name, gold, rep))
        if name.startswith("b"):
            all_gold.update({f"{name}/{k}": v for k, v in gold.items()})
            all_pred.update({f"{name}/{k}": v for k, v in pred.items()})
        if name in ("dev", "dev-b"):
            failed += [f"{name}: {m}" for m in misses_floor(rep)]
        if args.show == name:
            show(gold, pred)
    if all_gold:
        reports["corpus"] = score(all_gold, all_pred)
        print(row("corpus (all batches)", all_gold, reports["corpus"]))
    print(f"({time.process_time() - t0:.1f} CPU-s; batches' FIRST blind scores: bench/corpus/SCORES.md)")
    if not SHARED.exists():
        print("note: ../shared/eval not found: dev and dev-b skipped (they are beside the repo for developers)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(reports, indent=2), encoding="utf-8")
    for line in failed:
        print(f"BELOW FLOOR {line}")
    return 1 if (args.check and failed) else 0


def skipped(name: str, patterns: list[str]) -> bool:
    """A glob matches the whole set name or its batch prefix, so 'b1[0-2]' keeps b10-final-mix out too."""
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(name.split("-")[0], p) for p in patterns)


def misses_floor(rep: dict) -> list[str]:
    out = [
        f"lenient F1 {lang} {rep[k]['f1']:.3f} < {FLOORS['lenient_lang']}"
        for lang in ("en", "ru")
        if (k := f"lenient:{lang}") in rep and rep[k]["f1"] < FLOORS["lenient_lang"]
    ]
    if rep["strict"]["f1"] < FLOORS["strict"]:
        out.append(f"strict F1 {rep['strict']['f1']:.3f} < {FLOORS['strict']}")
    if rep["false_alarm_rate"] > FLOORS["false_alarm"]:
        out.append(f"false alarms {rep['false_alarm_rate']:.3f} > {FLOORS['false_alarm']}")
    return out


def show(gold: dict, pred: dict) -> None:
    for key, item in gold.items():
        g = sorted((e["type"], e["actor"], tuple(sorted(e["counterparts"]))) for e in item.get("events") or [])
        p = sorted((e["type"], e["actor"], tuple(sorted(e["counterparts"]))) for e in pred[key]["events"])
        if g != p:
            print(f"!! {key} {item.get('lang')} {item.get('style', '')} gold={g} pred={p}")


if __name__ == "__main__":
    sys.exit(main())
