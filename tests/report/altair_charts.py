"""The report's charts built with altair: the source of flows/report/templates/charts.vl.json.

The report reads the specs from that file (altair at every run cost ~40 MB and ~0.5 s); after a
change here, regenerate it:
    python -m tests.report.altair_charts > flows/report/templates/charts.vl.json
tests/report/test_report_build.py checks that the file is what this module builds.
"""

from __future__ import annotations

from typing import Any

import altair as alt

TYPE_COLORS = {
    "termination": "#b2182b",
    "withdrawal": "#d6604d",
    "suspension": "#f4a582",
    "partnership_signed": "#2166ac",
    "partnership_strengthened": "#67a9cf",
}
_TYPES = alt.Scale(domain=list(TYPE_COLORS), range=list(TYPE_COLORS.values()))


def timeline() -> dict[str, Any]:
    """Clusters per week of first report, stacked by type."""
    chart = (
        alt.Chart(alt.NamedData("clusters"), title="Clusters by week of first report")
        .mark_bar()
        .encode(
            x=alt.X("yearweek(first_seen):O", title="week"),
            y=alt.Y("count():Q", title="clusters"),
            color=alt.Color("type:N", scale=_TYPES, title="type"),
            tooltip=[
                alt.Tooltip("yearweek(first_seen):O", title="week"),
                "type:N",
                alt.Tooltip("count():Q", title="clusters"),
            ],
        )
        .properties(width="container", height=220)
    )
    return chart.to_dict()


def countries() -> dict[str, Any]:
    """Who ended or signed with whom: clusters per country, as actor and as counterpart, per family."""
    chart = (
        alt.Chart(alt.NamedData("countries"))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort="-x", title=None),
            x=alt.X("count():Q", title="clusters"),
            color=alt.Color("role:N", scale=alt.Scale(domain=["actor", "counterpart"], range=["#4d4d4d", "#bababa"])),
            column=alt.Column("family:N", title=None, header=alt.Header(labelFontWeight="bold")),
            tooltip=["name:N", "role:N", "family:N", alt.Tooltip("count():Q", title="clusters")],
        )
        .properties(width=260)
    )
    return chart.to_dict()


def runs() -> dict[str, Any]:
    """Run history per day: items, events and alerts, with failures beside them."""
    base = alt.Chart(alt.NamedData("runs"), title="Runs per day").transform_fold(
        ["items", "events", "alerts", "source_failures"], as_=["measure", "value"]
    )
    chart = (
        base.mark_line(point=True)
        .encode(
            x=alt.X("day:T", title="day"),
            y=alt.Y("value:Q", title="count"),
            color=alt.Color("measure:N", title=None),
            tooltip=["day:T", "measure:N", "value:Q"],
        )
        .properties(width="container", height=180)
    )
    return chart.to_dict()


def specs() -> dict[str, dict[str, Any]]:
    return {"timeline": timeline(), "countries": countries(), "runs": runs()}


if __name__ == "__main__":
    import json

    print(json.dumps(specs(), indent=1, ensure_ascii=False))
