"""Run the extractor over a labelled jsonl (default ../shared/eval/dev.jsonl) and score it.

usage: python bench/eval_dev.py [GOLD.jsonl] [--out PRED.jsonl] [--show]
Writes predictions as {"id", "events": [...]} lines, then runs ../shared/eval/score.py GOLD PRED.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import subprocess
import sys
from datetime import datetime

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import itertools

from parsers.extract.engine import Extractor, load_extractor
from parsers.models import ExtractionInput

SHARED = ROOT.parent / "shared" / "eval"
CALIBRATION_FLOOR = 0.3


def _published(item: dict) -> datetime | None:
    value = item.get("published")
    return datetime.fromisoformat(value) if value else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold", nargs="?", default=str(SHARED / "dev.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "dev.pred.jsonl"))
    ap.add_argument("--show", action="store_true", help="print gold and predicted events per item")
    args = ap.parse_args()
    gold, scorer = pathlib.Path(args.gold), SHARED / "score.py"
    if not gold.exists() or not scorer.exists():
        sys.exit(
            f"eval_dev: {gold} or {scorer} not found; the labelled set lives in ../shared/eval "
            "next to the repository (it is not part of the repo)."
        )
    extractor = load_extractor(ROOT / "config")
    # the same rules with a low threshold: shows what the 0.5 cut removes (calibration only)
    probe = Extractor(extractor.rules, extractor.gazetteer, extractor.version, threshold=CALIBRATION_FLOOR)
    scored: list[tuple[float, bool]] = []
    matcher = _scorer_module(scorer)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with gold.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            if not line.strip():
                continue
            item = json.loads(line)
            doc = ExtractionInput(
                text=item["text"],
                title=item.get("title", ""),
                lang=item.get("lang"),
                published=_published(item),
                id=item["id"],
            )
            events = [e.to_json() for e in extractor.extract(doc)]
            dst.write(json.dumps({"id": item["id"], "events": events}, ensure_ascii=False) + "\n")
            if args.show:
                _show(item, events)
            scored.extend(_judge(matcher, item, [e.to_json() for e in probe.extract(doc)]))
    code = subprocess.run([sys.executable, str(scorer), str(gold), str(out)]).returncode
    _print_calibration(scored, extractor.threshold)
    return code


def _scorer_module(path: pathlib.Path):
    """score.py's own `matches`, so calibration judges events exactly as the scorer does."""
    spec = importlib.util.spec_from_file_location("treatywatch_eval_score", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _judge(scorer, item: dict, events: list[dict]) -> list[tuple[float, bool]]:
    """(confidence, lenient-correct) per predicted event; gold events are used once, best confidence first."""
    free = list(item["events"])
    out = []
    for e in sorted(events, key=lambda e: -e["confidence"]):
        hit = next((g for g in free if scorer.matches(g, e, False)), None)
        if hit is not None:
            free.remove(hit)
        out.append((e["confidence"], hit is not None))
    return out


def _print_calibration(scored: list[tuple[float, bool]], threshold: float) -> None:
    """Precision per confidence bucket: does a higher score really mean a likelier event?"""
    print(f"precision per confidence bucket (lenient; events below {threshold} are not emitted):")
    edges = [CALIBRATION_FLOOR + 0.1 * i for i in range(7)] + [1.01]
    for lo, hi in itertools.pairwise(edges):
        inside = [ok for c, ok in scored if lo <= c < hi]
        prec = f"{sum(inside) / len(inside):.3f}" if inside else "  -  "
        label = f"[{lo:.1f},{min(hi, 1.0):.1f}{']' if hi > 1 else ')'}"
        print(f"  {label:11} n={len(inside):3d}  correct={sum(inside):3d}  precision={prec}")


def _show(item: dict, events: list[dict]) -> None:
    gold = sorted((e["type"], e["actor"], tuple(sorted(e["counterparts"]))) for e in item["events"])
    pred = sorted((e["type"], e["actor"], tuple(sorted(e["counterparts"]))) for e in events)
    mark = "  " if gold == pred else "!!"
    print(f"{mark} {item['id']} {item['lang']} gold={gold} pred={pred}")
    if gold != pred:
        for e in events:
            print(f"      {e['rule']} {e['confidence']} | {e['evidence'][:110]}")


if __name__ == "__main__":
    sys.exit(main())
