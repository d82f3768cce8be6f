"""Throughput of the full EN+RU rule set on ~4 KB synthetic news texts, one core.

usage: python bench/bench_extract.py [--docs N] [--seed S] [--repeat R] [--cli-docs N]
Prints docs/CPU-s, median (min, max) of R passes, for the realistic mix (2-3 event sentences per
article, a quarter of the filler holding trigger words: ~4 trigger words per KB, twice the old
bench's filler) and the dense one (about six event sentences, ~5.5 trigger words per KB); language
detection included (no `lang` given), plus the realistic mix with `lang` given to show what detection
costs, and the realistic mix through `treatywatch extract --jsonl` in a new process (start-up,
JSON in and out included). Texts are generated from the templates below (never from the dev set).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.extractor_cache import load_cached_extractor
from parsers.extract.lang import detect_lang
from parsers.models import ExtractionInput

EN_STATES = [
    "Chile",
    "Peru",
    "Norway",
    "Japan",
    "Kenya",
    "Oman",
    "Poland",
    "Vietnam",
    "Brazil",
    "Egypt",
    "the United States",
    "Russia",
    "Germany",
    "India",
    "Australia",
    "Türkiye",
]
RU_STATES = [
    ("Чили", "Чили"),
    ("Перу", "Перу"),
    ("Норвегия", "Норвегией"),
    ("Япония", "Японией"),
    ("Кения", "Кенией"),
    ("Польша", "Польшей"),
    ("Вьетнам", "Вьетнамом"),
    ("Бразилия", "Бразилией"),
    ("Египет", "Египтом"),
    ("Россия", "Россией"),
    ("Германия", "Германией"),
    ("Индия", "Индией"),
]
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
# Filler as defence and foreign news has it: trigger words (sign, suspend, withdraw, cancel, end...)
# in sentences that report no agreement event, so the engine has to look at them and reject them.
EN_BUSY_FILLER = [
    "The airline suspended flights to {a} after the storm, a spokesman for the carrier said.",
    "The club signed a new striker from {a} on a three-year contract, the coach said.",
    "Workers in {a} ended their strike after the government agreed to raise wages.",
    "The company withdrew its offer for the port operator, citing the cost of the deal.",
    "Organisers cancelled the summit dinner in {a} because of security concerns.",
    "The minister left the meeting early to attend talks on the defence budget.",
    "Parliament in {a} will vote next week on a bill to renew the lease of the naval base.",
    "Negotiators from {a} and {b} held a third round of talks on the fisheries agreement.",
]
RU_BUSY_FILLER = [
    "Авиакомпания приостановила рейсы после шторма, сообщил представитель перевозчика.",
    "Клуб подписал контракт с новым нападающим на три года, сообщил тренер.",
    "Рабочие прекратили забастовку после того, как правительство согласилось повысить зарплаты.",
    "Компания отозвала предложение о покупке портового оператора из-за высокой стоимости сделки.",
    "Организаторы отменили концерт из-за плохой погоды.",
    "Министр покинул заседание, чтобы принять участие в переговорах о военном бюджете.",
    "Делегации провели третий раунд переговоров о соглашении по рыболовству.",
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


def make_doc(
    rng: random.Random, lang: str, size: int = 4000, density: float = 0.06, busy: float = 0.0, with_lang: bool = True
) -> ExtractionInput:
    """One synthetic article of about `size` characters; `density` = share of event sentences.

    The default (~2-3 event sentences per 4 KB article, the headline included in half of them) is
    what a real wire story about one event looks like; --dense uses 0.15 (about six per article).
    `busy` = share of filler sentences that hold a trigger word without reporting an event (realistic
    defence/foreign news); `with_lang=False` leaves the language to the extractor's detection.
    """
    parts: list[str] = []
    headline_event = rng.random() < 0.5
    while sum(len(p) + 1 for p in parts) < size:
        event = rng.random() < density or (not parts and headline_event)
        if lang == "en":
            a, b = rng.sample(EN_STATES, 2)
            tpl = rng.choice(EN_EVENT if event else EN_BUSY_FILLER if rng.random() < busy else EN_FILLER)
            parts.append(tpl.format(a=a, b=b, d=rng.choice(DOMAINS_EN)))
        else:
            (a, _), (b2, b) = rng.sample(RU_STATES, 2)
            tpl = rng.choice(RU_EVENT if event else RU_BUSY_FILLER if rng.random() < busy else RU_FILLER)
            parts.append(tpl.format(a=a, b=b, b2=b2, d=rng.choice(DOMAINS_RU)))
    text = "\n\n".join(" ".join(parts[i : i + 3]) for i in range(1, len(parts), 3))
    return ExtractionInput(text=text, title=parts[0], lang=lang if with_lang else None)


def measure(extractor, docs: list[ExtractionInput], repeat: int) -> tuple[list[float], int]:
    """(CPU seconds of each pass, events) over `repeat` passes.

    CPU time of this process is the figure for "one core": on a shared machine the wall clock also
    counts time spent waiting for the CPU, which says nothing about the code.
    """
    for d in docs[:20]:
        extractor.extract(d)  # warm-up
    cpu, events = [], 0
    for _ in range(repeat):
        c0 = time.process_time()
        events = sum(len(extractor.extract(d)) for d in docs)
        cpu.append(time.process_time() - c0)
    return cpu, events


def cli_cpu(docs: list[ExtractionInput], work: pathlib.Path) -> tuple[float, int]:
    """CPU seconds (user + sys, from wait4) of one `treatywatch extract --jsonl` process over docs, and its lines.

    The process runs as an installed package does, with Python's bytecode cache on (kept under `work`;
    the caller's first run fills it), whatever PYTHONDONTWRITEBYTECODE the calling shell sets.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    src = work / "docs.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for i, d in enumerate(docs):
            rec = {"id": i, "title": d.title, "text": d.text}
            if d.lang:
                rec["lang"] = d.lang
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    from bench_startup import treatywatch_cmd

    cmd = treatywatch_cmd()
    with (work / "out.jsonl").open("w") as out:
        proc = subprocess.Popen(
            [*cmd, "extract", "--jsonl", str(src), "--config-dir", str(ROOT / "config")],
            cwd=ROOT,
            stdout=out,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"treatywatch extract exited {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime, sum(1 for _ in (work / "out.jsonl").open())


def spread(rates: list[float]) -> dict[str, float]:
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def line(name: str, r: dict[str, float], unit: str = "docs/CPU-s", note: str = "") -> str:
    return f"  {name:44} {r['median']:7.0f} {unit} (min {r['min']:.0f}, max {r['max']:.0f}){note}"


MIXES = {  # name: (event-sentence share, share of filler holding a trigger word)
    "realistic": (0.06, 0.25),
    "dense": (0.15, 0.3),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli-docs", type=int, default=1000, help="docs per `treatywatch extract --jsonl` process")
    args = ap.parse_args()
    c0 = time.process_time()
    extractor = load_cached_extractor(ROOT / "config")
    print(
        f"extractor {extractor.version}: {len(extractor.rules.rules)} rules, load {time.process_time() - c0:.2f} CPU-s"
        f" (from the disk cache when warm)"
    )
    result: dict[str, object] = {"docs": args.docs, "repeat": args.repeat}
    print(
        f"bench_extract: ~4 KB synthetic articles, en+ru alternating, language detected by the extractor unless"
        f" said; median of {args.repeat} passes (CPU time)"
    )
    for name, (density, busy) in MIXES.items():
        docs = [
            make_doc(
                random.Random(args.seed * 1000 + i),
                "en" if i % 2 == 0 else "ru",
                density=density,
                busy=busy,
                with_lang=False,
            )
            for i in range(args.docs)
        ]
        cpu, events = measure(extractor, docs, args.repeat)
        rates = spread([len(docs) / c for c in cpu])
        result[name] = rates
        avg_kb = sum(len(d.title) + len(d.text) for d in docs) / len(docs) / 1000
        print(line(f"{name}, in-process", rates, note=f"  [{events} events, avg {avg_kb:.1f} KB]"))
        if name == "realistic":
            # what detection costs: the same calls the extractor makes, timed alone, against the extraction
            texts = [f"{d.title}\n\n{d.text}" for d in docs]
            c0 = time.process_time()
            for _ in range(args.repeat):
                for t in texts:
                    detect_lang(t)
            share = (time.process_time() - c0) / args.repeat / statistics.median(cpu)
            result["lang_share"] = share
            print(f"  {'language detection, share of extraction CPU':44} {100 * share:7.1f} %   [target <= 5 %]")
            with tempfile.TemporaryDirectory() as tmp:
                cli_cpu(docs[:1], pathlib.Path(tmp))  # fills the bytecode cache: not timed
                runs = [cli_cpu(docs[: args.cli_docs], pathlib.Path(tmp)) for _ in range(args.repeat)]
            cli = spread([n / c for c, n in runs])
            result["realistic_cli"] = cli
            print(
                line(
                    f"realistic, CLI incl. start-up ({len(docs[: args.cli_docs])} docs)",
                    cli,
                    note=f"  [{statistics.median(c for c, _ in runs):.2f} CPU-s per process]",
                )
            )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
