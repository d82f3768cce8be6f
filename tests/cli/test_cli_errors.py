"""Every user mistake ends in one clean line naming the file, field or variable, and a documented exit code.

Each case runs the real `treatywatch` process (so Prefect's own logging would show if it started) in a
fresh directory with a copy of the config; the table is the contract of README "Exit codes".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

EXE = Path(sys.executable).with_name("treatywatch")
SOURCES = """sources:
  - id: local-feed
    kind: rss
    url: feed.xml
    group: news
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A fresh directory with config/ (real rules and gazetteer, one local source) and no database."""
    cfg = tmp_path / "config"
    shutil.copytree(REPO / "config" / "rules", cfg / "rules")
    shutil.copy(REPO / "config" / "gazetteer.yaml", cfg / "gazetteer.yaml")
    shutil.copy(REPO / "config" / "routing.yaml", cfg / "routing.yaml")
    shutil.copy(REPO / "config" / "schedules.yaml", cfg / "schedules.yaml")
    (cfg / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    return tmp_path


def _edit(path: str, text: str, mode: str = "w"):
    def apply(root: Path) -> None:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "bytes":
            target.write_bytes(text.encode("cp1251"))
        elif mode == "a":
            target.write_text(target.read_text(encoding="utf-8") + text, encoding="utf-8")
        else:
            target.write_text(text, encoding="utf-8")

    return apply


BAD_RULE = """lang: en
rules:
  - id: "[bold]x[/]"
    type: "[red]oops"
    triggers: [end]
"""

# (case id, environment, file edit, arguments, exit code, text the one line must contain)
CASES = [
    (
        "fetch-retries-not-a-number",
        {"TREATYWATCH_FETCH_RETRIES": "abc"},
        None,
        ["run"],
        2,
        "TREATYWATCH_FETCH_RETRIES='abc'",
    ),
    (
        "retry-delays-bad-item",
        {"TREATYWATCH_FETCH_RETRY_DELAYS": "2,x"},
        None,
        ["check"],
        2,
        "TREATYWATCH_FETCH_RETRY_DELAYS='2,x'",
    ),
    ("lock-wait-in-check", {"TREATYWATCH_RUN_LOCK_WAIT": "abc"}, None, ["check"], 2, "TREATYWATCH_RUN_LOCK_WAIT='abc'"),
    ("lock-wait-in-sources", {"TREATYWATCH_RUN_LOCK_WAIT": "abc"}, None, ["sources"], 2, "TREATYWATCH_RUN_LOCK_WAIT"),
    (
        "max-bytes-negative",
        {"TREATYWATCH_MAX_BYTES": "-5"},
        None,
        ["run"],
        2,
        "TREATYWATCH_MAX_BYTES='-5': expected a whole number",
    ),
    ("horizon-word", {"TREATYWATCH_ALERT_HORIZON_DAYS": "month"}, None, ["run"], 2, "or off"),
    (
        "sources-field-typo",
        {},
        _edit("config/sources.yaml", "    enabeld: true\n", "a"),
        ["run"],
        2,
        "config/sources.yaml: source 'local-feed': field 'enabeld'",
    ),
    (
        "sources-bad-indentation",
        {},
        _edit("config/sources.yaml", "sources:\n  - id: a\n   kind: rss\n"),
        ["run"],
        2,
        "config/sources.yaml: invalid YAML at line 3",
    ),
    (
        "schedules-bad-yaml-in-serve",
        {},
        _edit("config/schedules.yaml", "schedules: [\n"),
        ["serve"],
        2,
        "config/schedules.yaml: schedules file: invalid YAML at line 2",
    ),
    (
        "rules-yaml-error",
        {},
        _edit("config/rules/broken.yaml", "rules:\n  - id: a\n    triggers: [x\n"),
        ["run"],
        2,
        "broken.yaml: invalid YAML at line 4",
    ),
    ("rules-field-error-verbatim", {}, _edit("config/rules/broken.yaml", BAD_RULE), ["check"], 1, "rule '[bold]x[/]'"),
    (
        "rules-markup-in-run",
        {},
        _edit("config/rules/broken.yaml", BAD_RULE),
        ["run"],
        2,
        "rule '[bold]x[/]': field 'type'",
    ),
    (
        "routing-yaml-error",
        {},
        _edit("config/routing.yaml", "tags: {a: [\n"),
        ["run"],
        2,
        "config/routing.yaml: invalid YAML",
    ),
    ("alerts-file-yaml-error", {}, _edit("config/alerts.yml", "urls: [\n"), ["run"], 2, "config/alerts.yml"),
    (
        "db-dir-under-a-file",
        {},
        _edit("blocker", "a file"),
        ["run", "--db", "blocker/sub/tw.duckdb"],
        2,
        "database blocker/sub/tw.duckdb: cannot create directory",
    ),
    (
        "db-on-unwritable-filesystem",
        {},
        None,
        ["run", "--db", "/sys/kernel/tw.duckdb"],
        2,
        "database /sys/kernel/tw.duckdb: cannot write /sys/kernel",
    ),
    (
        "extract-not-utf8",
        {},
        _edit("latin.txt", "Россия денонсировала соглашение", "bytes"),
        ["extract", "latin.txt"],
        2,
        "latin.txt: not UTF-8 text (byte 0xd0 at offset 0)",
    ),
    ("extract-missing-file", {}, None, ["extract", "nope.txt"], 2, "nope.txt: No such file or directory"),
    (
        "jsonl-without-id",
        {},
        _edit("in.jsonl", '{"text": "x"}\n'),
        ["extract", "--jsonl", "in.jsonl"],
        2,
        "in.jsonl: line 1: 'id' missing",
    ),
    ("query-no-database", {}, None, ["query", "SELECT 1", "--db", "none.duckdb"], 2, "none.duckdb"),
]


def _run(root: Path, env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TREATYWATCH_", "PREFECT_"))}
    base.update(env, PREFECT_HOME=str(root / "prefect"), COLUMNS="100")
    return subprocess.run([str(EXE), *args], cwd=root, env=base, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case,env,edit,args,code,needle", CASES, ids=[c[0] for c in CASES])
def test_user_error_is_one_line_and_an_exit_code(workdir, case, env, edit, args, code, needle):
    if edit is not None:
        edit(workdir)
    proc = _run(workdir, env, args)
    out = proc.stdout + proc.stderr
    assert proc.returncode == code, out
    assert "Traceback" not in out and "╭─" not in out, out
    assert needle in out, out
    if code == 2:
        lines = [line for line in out.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), out
