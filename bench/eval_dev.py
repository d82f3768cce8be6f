"""Run the extractor over a labelled jsonl (default ../shared/eval/dev.jsonl) and score it.

usage: python bench/eval_dev.py [GOLD.jsonl] [--out PRED.jsonl] [--show]
Writes predictions as {"id", "events": [...]} lines, then runs ../shared/eval/score.py GOLD PRED.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
from datetime import datetime

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsers.extract import load_extractor  # noqa: E402
from parsers.models import ExtractionInput  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"


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
        sys.exit(f"eval_dev: {gold} or {scorer} not found; the labelled set lives in ../shared/eval "
                 "next to the repository (it is not part of the repo).")
    extractor = load_extractor(ROOT / "config")
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with gold.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            if not line.strip():
                continue
            item = json.loads(line)
            doc = ExtractionInput(text=item["text"], title=item.get("title", ""), lang=item.get("lang"),
                                  published=_published(item), id=item["id"])
            events = [e.to_json() for e in extractor.extract(doc)]
            dst.write(json.dumps({"id": item["id"], "events": events}, ensure_ascii=False) + "\n")
            if args.show:
                _show(item, events)
    return subprocess.run([sys.executable, str(scorer), str(gold), str(out)]).returncode


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
