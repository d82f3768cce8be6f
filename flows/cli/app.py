"""`treatywatch` command line: a thin edge that turns library errors into clean messages and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from parsers.errors import TreatywatchError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Watch news and legal portals for states ending or forging (military) agreements.")
err = Console(stderr=True)


def _fail(exc: Exception, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(code)


@app.command()
def run(
    sources: Annotated[Optional[Path], typer.Option(help="Sources YAML (default config/sources.yaml).")] = None,
    alerts: Annotated[Optional[Path], typer.Option(help="apprise YAML config with tags (default config/alerts.yml).")] = None,
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default data/treatywatch.duckdb).")] = None,
    config_dir: Annotated[Optional[Path], typer.Option(help="Directory with rules/ and gazetteer.yaml.")] = None,
) -> None:
    """Run the monitor flow once: fetch, extract, store, alert; then print a run summary."""
    from flows.settings import apply_prefect_defaults, load_settings

    try:
        settings = load_settings(sources=sources, alerts=alerts, db=db, config_dir=config_dir)
    except TreatywatchError as exc:  # e.g. a health threshold in the environment that is not a number
        _fail(exc)
    apply_prefect_defaults(home=settings.db_path.resolve().parent / "prefect")
    from flows.cli.prefect_api import prewarm, run_api

    with run_api(settings.db_path.resolve().parent, say=lambda line: err.print(line, highlight=False)) as api:
        # while a kept local server is found (or started) in a thread: import Prefect, load the rules
        from flows.extractor_cache import load_cached_extractor
        from flows.monitor import monitor  # imported late: Prefect reads its settings on import
        from flows.cli.summary import print_summary

        try:
            load_cached_extractor(settings.config_dir)
        except TreatywatchError:
            pass  # the flow reports a bad rules file itself
        prewarm()
        with api.settings():
            try:
                summary = monitor(sources=_s(sources), alerts=_s(alerts), db_path=_s(db), config_dir=_s(config_dir))
            except TreatywatchError as exc:
                _fail(exc)
    if summary.skipped:  # another run held the database (flows/runlock.py)
        _fail(TreatywatchError(summary.skipped), code=3)
    print_summary(summary, Console(width=None if sys.stdout.isatty() else 120))


def _s(p: Path | None) -> str | None:
    return str(p) if p is not None else None


@app.command()
def extract(
    file: Annotated[Optional[Path], typer.Argument(help="A text file; its events are printed as a JSON list.")] = None,
    jsonl: Annotated[Optional[Path], typer.Option("--jsonl", help='Lines {"id","text","title"?,"lang"?,"published"?}; "-" for stdin.')] = None,
    config_dir: Annotated[Path, typer.Option(help="Directory with rules/ and gazetteer.yaml.")] = Path("config"),
) -> None:
    """Extract events from one file, or from a JSONL stream (one output line per input line)."""
    from flows.cli.extract import extract_file, extract_jsonl
    from flows.extractor_cache import load_cached_extractor

    if (file is None) == (jsonl is None):
        _fail(ValueError("give either FILE or --jsonl IN.jsonl"))
    try:
        extractor = load_cached_extractor(config_dir)
        if file is not None:
            print(json.dumps(extract_file(extractor, file), ensure_ascii=False, indent=2))
        else:
            extract_jsonl(extractor, jsonl, sys.stdout)
    except (TreatywatchError, OSError) as exc:
        _fail(exc)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="A read-only SQL statement, e.g. \"SELECT * FROM v_events\".")],
    db: Annotated[Path, typer.Option(help="DuckDB file.")] = Path("data/treatywatch.duckdb"),
    format: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
) -> None:
    """Query the DuckDB file read-only; writes are refused."""
    from flows.cli.query import run_query

    if format not in ("table", "csv", "json"):
        _fail(ValueError(f"unknown format {format!r}: use table, csv or json"))
    try:
        run_query(db, sql, format, Console(), sys.stdout)
    except TreatywatchError as exc:
        _fail(exc)


@app.command()
def sources(
    sources_file: Annotated[Optional[Path], typer.Option("--sources", help="Sources YAML (default config/sources.yaml).")] = None,
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default data/treatywatch.duckdb).")] = None,
    enable: Annotated[Optional[list[str]], typer.Option("--enable", metavar="ID", help="Re-enable this source now: health reset to ok, fetched next run (repeatable).")] = None,
    disable: Annotated[Optional[list[str]], typer.Option("--disable", metavar="ID", help="Disable this source by hand: never fetched, not even probed, until --enable (repeatable).")] = None,
) -> None:
    """Show every source's state (last success, failures, items, next attempt, error); --enable/--disable by hand."""
    from flows.store.runlock import RunLockedError, wait_seconds
    from flows.settings import load_settings
    from flows.cli.source_control import config_notes, set_by_hand
    from flows.cli.sources import print_sources, source_rows
    from parsers.config.sources import load_sources

    if enable and disable:
        _fail(ValueError("give --enable or --disable, not both"))
    try:
        settings = load_settings(sources=sources_file, db=db)
        configured = load_sources(settings.sources_file)
        if enable or disable:
            ids = list(enable or disable or [])
            events = set_by_hand(settings.db_path, ids, enable=bool(enable), configured=configured,
                                 wait_s=wait_seconds())
            for line in [e.message for e in events] + config_notes(ids, configured):
                err.print(line, highlight=False, markup=False)
            return
        print_sources(source_rows(configured, settings.db_path), Console(width=None if sys.stdout.isatty() else 160))
    except RunLockedError as exc:
        _fail(exc, code=3)
    except TreatywatchError as exc:
        _fail(exc)


@app.command()
def alerts(
    status: Annotated[Optional[str], typer.Option(help="Only this status: pending, sending, sent, uncertain, superseded, given_up.")] = None,
    resend: Annotated[Optional[list[str]], typer.Option("--resend", help="Queue this uncertain/given-up alert again (repeatable).")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default data/treatywatch.duckdb).")] = None,
) -> None:
    """Show the alert ledger; --resend ID queues an uncertain or given-up alert for the next run."""
    from flows.cli.alerts import list_alerts
    from flows.cli.alerts import resend as resend_alerts
    from flows.settings import load_settings

    settings = load_settings(db=db)
    try:
        if resend:
            done = resend_alerts(settings.db_path, resend)
            err.print(f"queued again: {', '.join(done)} (sent by the next `treatywatch run`)", highlight=False)
            return
        list_alerts(settings.db_path, status, limit, Console(width=None if sys.stdout.isatty() else 160))
    except TreatywatchError as exc:
        _fail(exc)


@app.command()
def serve(
    schedules: Annotated[Path, typer.Option(help="Schedules YAML: group -> interval or cron.")] = Path("config/schedules.yaml"),
    sources: Annotated[Optional[Path], typer.Option(help="Sources YAML (default config/sources.yaml).")] = None,
    alerts: Annotated[Optional[Path], typer.Option(help="apprise YAML config with tags (default config/alerts.yml).")] = None,
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default data/treatywatch.duckdb).")] = None,
    config_dir: Annotated[Optional[Path], typer.Option(help="Directory with rules/ and gazetteer.yaml.")] = None,
    port: Annotated[int, typer.Option(help="Port of the local Prefect server (when PREFECT_API_URL is unset).")] = 4200,
    ui: Annotated[bool, typer.Option(help="Serve the Prefect UI from the local server.")] = True,
) -> None:
    """Run the monitor flow on schedules (per source group) until Ctrl-C; starts a local Prefect server if needed."""
    from flows.serve.service import ServeOptions
    from flows.serve.service import serve as serve_flows
    from flows.settings import load_settings

    settings = load_settings(sources=sources, alerts=alerts, db=db, config_dir=config_dir)
    opts = ServeOptions(schedules, sources, alerts, db, config_dir, port=port, ui=ui,
                        server_home=settings.db_path.resolve().parent / "prefect-server")
    try:
        serve_flows(opts, say=lambda line: err.print(line, highlight=False, soft_wrap=True))
    except TreatywatchError as exc:
        _fail(exc)


@app.command()
def check(
    sources: Annotated[Optional[Path], typer.Option(help="Sources YAML (default config/sources.yaml).")] = None,
    alerts: Annotated[Optional[Path], typer.Option(help="apprise YAML config with tags (default config/alerts.yml).")] = None,
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default data/treatywatch.duckdb).")] = None,
    config_dir: Annotated[Optional[Path], typer.Option(help="Directory with rules/ and gazetteer.yaml.")] = None,
    schedules: Annotated[Path, typer.Option(help="Schedules YAML.")] = Path("config/schedules.yaml"),
) -> None:
    """Validate the configuration (sources, rules, alerts, apprise URLs, schedules) and that the DB opens."""
    from flows.cli.check import print_checks, run_checks
    from flows.settings import load_settings

    settings = load_settings(sources=sources, alerts=alerts, db=db, config_dir=config_dir)
    results = run_checks(settings, schedules)
    print_checks(results, Console())
    if any(not r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def replay(
    since: Annotated[Optional[str], typer.Option(help="Only items published (else fetched) on or after this ISO date.")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Write the events that appear (default: only show the diff).")] = False,
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default data/treatywatch.duckdb).")] = None,
    config_dir: Annotated[Optional[Path], typer.Option(help="Directory with rules/ and gazetteer.yaml.")] = None,
    limit: Annotated[int, typer.Option(help="Changes to show in the table (the summary counts all).")] = 50,
    out: Annotated[Optional[Path], typer.Option(help="Write every change to this file: CSV if it ends in .csv, else JSON.")] = None,
) -> None:
    """Re-run the current rules over stored items; show events that would appear or disappear."""
    from datetime import datetime, timezone

    from flows.replay import replay as run_replay
    from flows.settings import load_settings

    settings = load_settings(db=db, config_dir=config_dir)
    try:
        start = datetime.fromisoformat(since) if since else None
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        run_replay(settings.db_path, settings.config_dir, settings.routing_file, start, apply, Console(),
                   limit=max(0, limit), out=out)
    except (TreatywatchError, ValueError, OSError) as exc:
        _fail(exc)


if __name__ == "__main__":
    app()
