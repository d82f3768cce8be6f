"""docs/CLI.md from the typer app itself, so the reference and `--help` never drift (a test compares them).

usage: python -m flows.cli.reference > docs/CLI.md
"""

from __future__ import annotations

from typing import Any

import typer

from flows.cli.app import app


def render() -> str:
    """Markdown: every command and sub-command with its help, arguments and options (defaults shown)."""
    root = typer.main.get_command(app)
    lines = [
        "# treatywatch command reference",
        "",
        "Generated from the command line itself (`python -m flows.cli.reference > docs/CLI.md`);",
        "a test fails when this file and `--help` disagree.",
        "",
    ]
    for path, cmd in _walk(root, ["treatywatch"]):
        lines += _command(path, cmd)
    return "\n".join(lines).rstrip() + "\n"


# Typer ships its own copy of click, so commands and parameters are recognised by shape, not class.
def _walk(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    if hasattr(cmd, "commands"):
        out = []
        for name in sorted(cmd.commands):
            out += _walk(cmd.commands[name], [*path, name])
        return out
    return [(path, cmd)]


def _command(path: list[str], cmd: Any) -> list[str]:
    args = [p for p in cmd.params if p.param_type_name == "argument"]
    opts = [p for p in cmd.params if p.param_type_name == "option" and p.name != "help"]
    usage = " ".join([*path, *(a.name.upper() for a in args), "[OPTIONS]" if opts else ""]).strip()
    out = [f"## `{' '.join(path)}`", "", (cmd.help or "").strip(), "", f"    {usage}", ""]
    rows = [(f"`{a.name.upper()}`", _help(a), "") for a in args]
    rows += [(", ".join(f"`{o}`" for o in p.opts + p.secondary_opts), _help(p), _default(p)) for p in opts]
    if rows:
        out += ["| argument / option | meaning | default |", "|---|---|---|"]
        out += [f"| {a} | {h.replace('|', '/')} | {d} |" for a, h, d in rows]
        out.append("")
    return out


def _help(param: Any) -> str:
    return " ".join((getattr(param, "help", None) or "").split())


def _default(param: Any) -> str:
    if param.is_flag:
        return "off" if not param.default else "on"
    if param.default is None or param.default == () or callable(param.default):
        return ""
    return f"`{param.default}`"


if __name__ == "__main__":
    print(render(), end="")
