"""Throughput of the full EN+RU rule set on ~4 KB synthetic news texts, one core.

usage: python bench/bench_extract.py [--docs N] [--seed S] [--repeat R] [--dense]
Prints docs/s for the default mix (2-3 event sentences per article) and the dense one (about six).
Texts are generated from the templates below (never from the dev set): a mix of event sentences
(terminations, signings, negated and hedged ones) and filler news sentences.
"""

from __future__ import annotations

import argparse
import pathlib
import random
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsers.extract.engine import load_extractor  # noqa: E402
from parsers.models import ExtractionInput  # noqa: E402

EN_STATES = ["Chile", "Peru", "Norway", "Japan", "Kenya", "Oman", "Poland", "Vietnam", "Brazil", "Egypt",
             "the United States", "Russia", "Germany", "India", "Australia", "Türkiye"]
RU_STATES = [("Чили", "Чили"), ("Перу", "Перу"), ("Норвегия", "Норвегией"), ("Япония", "Японией"),
             ("Кения", "Кенией"), ("Польша", "Польшей"), ("Вьетнам", "Вьетнамом"), ("Бразилия", "Бразилией"),
             ("Египет", "Египтом"), ("Россия", "Россией"), ("Германия", "Германией"), ("Индия", "Индией")]
EN_EVENT = [
    "{a} said on Monday it was terminating its {d} agreement with {b}, citing repeated violations.",
    "{a} and {b} signed a {d} cooperation agreement during a visit by the foreign minister.",
    "{a} announced its withdrawal from the Council of Europe, the foreign ministry said.",
    "{a} has suspended the {d} pact with {b} until further notice.",
    "{a} does not intend to leave the treaty with {b}, a spokesman said.",
    "Analysts say {a} could scrap the {d} accord with {b} next year.",
    "{a} and {b} agreed to deepen their {d} ties at talks in the capital.",
]
EN_FILLER = [
    "Markets in {a} closed higher on Tuesday as investors weighed new inflation data from the central bank.",
    "The weather service warned of heavy rain across the northern provinces for the rest of the week.",
    "Officials in {a} said the new budget would raise spending on schools and hospitals by four percent.",
    "The football federation confirmed the national team would play two friendly matches in the spring.",
    "A spokesman for the ministry declined to comment on the report, saying a statement would follow.",
    "Thousands of people attended the festival, which organisers said was the largest in a decade.",
    "Exports from {a} rose for a third month, driven by strong demand for machinery and chemicals.",
]
RU_EVENT = [
    "{a} расторгла соглашение с {b} о {d} сотрудничестве, сообщил МИД.",
    "{a} и {b2} подписали соглашение о военном сотрудничестве в ходе визита министра.",
    "{a} приостановила действие договора с {b} о сотрудничестве в области обороны.",
    "{a} пока не собирается выходить из соглашения с {b}, заявил представитель правительства.",
    "Государственная дума ратифицировала соглашение между Россией и {b} о военном сотрудничестве.",
    "{a} и {b2} договорились углубить военное сотрудничество.",
]
RU_FILLER = [
    "Биржевые индексы выросли во вторник на фоне новых данных об инфляции.",
    "Синоптики предупредили о сильных дождях в северных регионах до конца недели.",
    "Власти заявили, что новый бюджет увеличит расходы на школы и больницы на четыре процента.",
    "Футбольная федерация подтвердила, что сборная проведет два товарищеских матча весной.",
    "Представитель министерства отказался комментировать сообщение, пообещав заявление позднее.",
    "Тысячи людей посетили фестиваль, который организаторы назвали крупнейшим за десятилетие.",
]
DOMAINS_EN = ["military", "defence", "security", "trade"]
DOMAINS_RU = ["военном", "экономическом", "торговом"]


def make_doc(rng: random.Random, lang: str, size: int = 4000, density: float = 0.06) -> ExtractionInput:
    """One synthetic article of about `size` characters; `density` = share of event sentences.

    The default (~2-3 event sentences per 4 KB article, the headline included in half of them) is
    what a real wire story about one event looks like; --dense uses 0.15 (about six per article).
    """
    parts: list[str] = []
    headline_event = rng.random() < 0.5
    while sum(len(p) + 1 for p in parts) < size:
        event = rng.random() < density or (not parts and headline_event)
        if lang == "en":
            a, b = rng.sample(EN_STATES, 2)
            tpl = rng.choice(EN_EVENT if event else EN_FILLER)
            parts.append(tpl.format(a=a, b=b, d=rng.choice(DOMAINS_EN)))
        else:
            (a, _), (b2, b) = rng.sample(RU_STATES, 2)
            tpl = rng.choice(RU_EVENT if event else RU_FILLER)
            parts.append(tpl.format(a=a, b=b, b2=b2, d=rng.choice(DOMAINS_RU)))
    text = "\n\n".join(" ".join(parts[i:i + 3]) for i in range(1, len(parts), 3))
    return ExtractionInput(text=text, title=parts[0], lang=lang)


def measure(extractor, docs: list[ExtractionInput], repeat: int) -> tuple[float, float, int]:  # noqa: ANN001
    """(best CPU seconds, best wall seconds, events) over `repeat` passes.

    CPU time of this process is the figure for "one core": on a shared machine the wall clock also
    counts time spent waiting for the CPU, which says nothing about the code.
    """
    for d in docs[:20]:
        extractor.extract(d)  # warm-up
    cpu, wall, events = [], [], 0
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        events = sum(len(extractor.extract(d)) for d in docs)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall), events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dense", action="store_true", help="only the dense mix (six event sentences per article)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    extractor = load_extractor(ROOT / "config")
    print(f"extractor {extractor.version}: {len(extractor.rules.rules)} rules, load {time.perf_counter() - t0:.2f}s")
    mixes = [("dense", 0.15)] if args.dense else [("default", 0.06), ("dense", 0.15)]
    for name, density in mixes:
        rng = random.Random(args.seed)
        docs = [make_doc(rng, "en" if i % 2 == 0 else "ru", density=density) for i in range(args.docs)]
        cpu, wall, events = measure(extractor, docs, args.repeat)
        avg_kb = sum(len(d.title) + len(d.text) for d in docs) / len(docs) / 1000
        print(f"{name:8} {len(docs)} docs (avg {avg_kb:.1f} KB, en+ru, event-sentence share {density}), {events} events: "
              f"{len(docs) / cpu:.0f} docs/s on one core (CPU time, best of {args.repeat}; "
              f"wall clock {len(docs) / wall:.0f} docs/s)")


if __name__ == "__main__":
    main()
