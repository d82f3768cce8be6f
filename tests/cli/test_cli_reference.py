"""The CLI reference is generated from the app and every command explains itself (sqlite-utils' meta-test)."""

from __future__ import annotations

import typer

from flows.cli.app import app
from flows.cli.reference import _walk, render
from tests.support import REPO


def test_docs_cli_md_matches_the_command_line():
    current = (REPO / "docs" / "CLI.md").read_text(encoding="utf-8")
    assert current == render(), "docs/CLI.md is stale: run `python -m flows.cli.reference > docs/CLI.md`"


def test_every_command_and_option_has_help_text():
    missing = []
    for path, cmd in _walk(typer.main.get_command(app), ["treatywatch"]):
        if not (cmd.help or "").strip():
            missing.append(" ".join(path))
        missing += [
            f"{' '.join(path)} {p.name}" for p in cmd.params if p.name != "help" and not getattr(p, "help", "x")
        ]
    assert missing == []
