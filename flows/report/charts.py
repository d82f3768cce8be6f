"""The report's charts: Vega-Lite specs kept as data in templates/charts.vl.json.

Each chart reads a named dataset (`clusters`, `countries`, `runs`) that the page's script fills and
refills when a filter changes, so the charts always show what the table shows. The specs are static
(the data arrives in the browser), so they are read from a file instead of built with altair at every
run: altair cost ~40 MB of RAM and ~0.5 s in each monitor run. tests/report/altair_charts.py builds
the same specs with altair; a test checks the file against it (regenerate the file from there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPECS = Path(__file__).resolve().parent / "templates" / "charts.vl.json"


def specs() -> dict[str, dict[str, Any]]:
    """The three chart specs by name (timeline, countries, runs)."""
    loaded: dict[str, dict[str, Any]] = json.loads(SPECS.read_text(encoding="utf-8"))
    return loaded
