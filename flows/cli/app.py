"""`treatywatch` command line: a thin edge that turns library errors into clean messages and exit codes."""

from __future__ import annotations

import functools
import gc
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from parsers.errors import TreatywatchError

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Watch news and legal portals for states ending or forging (military) agreements.",
)
F = TypeVar("F", bound=Callable[..., Any])

# Exit codes (README "Exit codes"): 0 done, 1 `check` found errors, 2 a user error (setting, config file,
# argument, input), 3 skipped because another run holds the database, 4 nothing could be fetched.
EXIT_CHECK_FAILED, EXIT_USER_ERROR, EXIT_LOCKED, EXIT_NOTHING_FETCHED = 1, 2, 3, 4


def one_line(exc: BaseException) -> str:
    """The error as one line: its own words, whitespace folded, never read as markup."""
    if isinstance(exc, OSError) and not isinstance(exc, TreatywatchError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    return " ".join(str(exc).split()) or type(exc).__name__


def _console(piped_width: int | None = None) -> Console:
    """A stdout Console, `piped_width` wide when stdout is not a terminal (a terminal gives its own);
    rich is imported by the commands that print with it (~25 ms `extract` never pays)."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else piped_width)


@functools.cache
def _err() -> Console:
    """The one stderr Console of the process, made on first use."""
    from rich.console import Console

    return Console(stderr=True)


def _fail(exc: BaseException, code: int = EXIT_USER_ERROR) -> None:
    from rich.text import Text

    _err().print(Text.assemble(("error: ", "bold red"), one_line(exc)), soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def edge(fn: F) -> F:
    """Turn the project's typed errors (and OS errors on user paths) into one line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from flows.store.runlock import RunLockedError

        try:
            return fn(*args, **kwargs)
        except RunLockedError as exc:
            _fail(exc, code=EXIT_LOCKED)
        except (TreatywatchError, OSError) as exc:
            _fail(exc)

    return wrapper  # type: ignore[return-value]


# Options several commands share: declared once, so their help text cannot drift apart.
SourcesOpt = Annotated[Path | None, typer.Option(help="Sources YAML (default config/sources.yaml).")]
AlertsOpt = Annotated[Path | None, typer.Option(help="apprise YAML config with tags (default config/alerts.yml).")]
DbOpt = Annotated[Path | None, typer.Option(help="DuckDB file (default data/treatywatch.duckdb).")]
ConfigDirOpt = Annotated[Path | None, typer.Option(help="Directory with rules/ and gazetteer.yaml.")]


@app.command()
@edge
def run(
    sources: SourcesOpt = None,
    alerts: AlertsOpt = None,
    db: DbOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Run the monitor flow once: fetch, extract, store, alert; then print a run summary."""
    from flows.preflight import preflight
    from flows.settings import apply_prefect_defaults, load_settings

    settings = load_settings(sources=sources, alerts=alerts, db=db, config_dir=config_dir)
    preflight(settings)  # every config mistake fails here, before Prefect starts
    apply_prefect_defaults(home=settings.db_path.resolve().parent / "prefect")
    _exit_cleanly_on_signals()
    from flows.cli.prefect_api import prewarm, run_api

    with run_api(settings.db_path.resolve().parent, say=lambda line: _err().print(line, highlight=False)) as api:
        # while a kept local server is found (or started) in a thread, import Prefect (the rules are
        # loaded already: preflight took them from the disk cache)
        from flows.cli.summary import nothing_fetched, print_summary
        from flows.monitor import monitor  # imported late: Prefect reads its settings on import

        prewarm()
        with api.settings():
            summary = monitor(sources=_s(sources), alerts=_s(alerts), db_path=_s(db), config_dir=_s(config_dir))
    if summary.skipped:  # another run held the database (flows/runlock.py)
        _fail(TreatywatchError(summary.skipped), code=EXIT_LOCKED)
    print_summary(summary, _console(piped_width=120))
    if summary.interrupted:
        _err().print(
            f"[yellow]stopped by signal {summary.interrupted}:[/] what was fetched is stored; the rest waits "
            "for the next run",
            highlight=False,
        )
        raise typer.Exit(128 + summary.interrupted)
    if nothing_fetched(summary):
        raise typer.Exit(EXIT_NOTHING_FETCHED)


def _exit_cleanly_on_signals() -> None:
    """SIGTERM/SIGHUP outside the flow body (Prefect starting, or after it) exit through SystemExit, so
    atexit hooks run and Prefect's ephemeral API server (a uvicorn child) is stopped, not orphaned.
    Inside the flow body the monitor's own handler stops gracefully (flows/stopping.py)."""
    import signal

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, leave)


def _s(p: Path | None) -> str | None:
    return str(p) if p is not None else None


@app.command()
@edge
def extract(
    file: Annotated[Path | None, typer.Argument(help="A text file; its events are printed as a JSON list.")] = None,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help='Lines {"id","text","title"?,"lang"?,"published"?}; "-" for stdin.')
    ] = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Extract events from one file, or from a JSONL stream (one output line per input line)."""
    from flows.cli.extract import extract_file, extract_jsonl
    from flows.extractor_cache import load_cached_extractor
    from flows.settings import load_settings

    if (file is None) == (jsonl is None):
        _fail(ValueError('give either FILE ("-" for stdin) or --jsonl IN.jsonl'))
    extractor = load_cached_extractor(load_settings(config_dir=config_dir).config_dir)
    # the extractor (~10^5 objects) lives as long as this process: frozen, the cyclic collector never walks
    # it again while documents are extracted, nor does the interpreter at exit (~50 ms of a one-doc run)
    gc.freeze()
    if file is not None:
        print(json.dumps(extract_file(extractor, file), ensure_ascii=False, indent=2))
    else:
        extract_jsonl(extractor, jsonl, sys.stdout)


@app.command()
@edge
def query(
    sql: Annotated[str, typer.Argument(help='A read-only SQL statement, e.g. "SELECT * FROM v_events".')],
    db: DbOpt = None,
    format: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
) -> None:
    """Query the DuckDB file read-only; writes are refused."""
    from flows.cli.output import PlainConsole, plain_output
    from flows.cli.query import run_query
    from flows.settings import load_settings

    if format not in ("table", "csv", "json"):
        _fail(ValueError(f"unknown format {format!r}: use table, csv or json"))
    console = PlainConsole(sys.stdout) if plain_output(sys.stdout) else _console()
    run_query(load_settings(db=db).db_path, sql, format, console, sys.stdout)


@app.command()
@edge
def export(
    what: Annotated[str, typer.Argument(help="A table or view name (e.g. v_events) or one SELECT statement.")],
    to: Annotated[Path, typer.Option("--to", help="Output file; the format follows its suffix (.csv .parquet .json).")],
    db: Annotated[Path, typer.Option(help="DuckDB file.")] = Path("data/treatywatch.duckdb"),
    format: Annotated[str | None, typer.Option("--format", help="csv | parquet | json (default: from --to).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
) -> None:
    """Write a table, view or SELECT to a CSV, Parquet or JSON file (the SQL stays read-only)."""
    from flows.cli.export import export as run_export

    try:
        rows = run_export(db, what, to, format, overwrite=force)
    except TreatywatchError as exc:
        _fail(exc)
    _console().print(f"{rows} row(s) written to {to}", highlight=False, markup=False)


@app.command()
@edge
def sources(
    sources_file: Annotated[
        Path | None, typer.Option("--sources", help="Sources YAML (default config/sources.yaml).")
    ] = None,
    db: DbOpt = None,
    enable: Annotated[
        list[str] | None,
        typer.Option(
            "--enable",
            metavar="ID",
            help="Re-enable this source now: health reset to ok, fetched next run (repeatable).",
        ),
    ] = None,
    disable: Annotated[
        list[str] | None,
        typer.Option(
            "--disable",
            metavar="ID",
            help="Disable this source by hand: never fetched, not even probed, until --enable (repeatable).",
        ),
    ] = None,
    probe: Annotated[
        bool,
        typer.Option(
            "--probe",
            help="Fetch every source once now (disabled ones too) and print a one-line verdict each; stores nothing.",
        ),
    ] = False,
) -> None:
    """Show every source's state (last success, failures, items, next attempt, error); --enable/--disable by hand; --probe."""
    from flows.cli.source_control import config_notes, set_by_hand
    from flows.cli.sources import print_sources, source_rows
    from flows.settings import load_settings
    from parsers.config.sources import load_sources

    if enable and disable:
        _fail(ValueError("give --enable or --disable, not both"))
    settings = load_settings(sources=sources_file, db=db)
    configured = load_sources(settings.sources_file)
    if probe:
        raise typer.Exit(_probe(configured, settings))
    if enable or disable:
        ids = list(enable or disable or [])
        events = set_by_hand(
            settings.db_path, ids, enable=bool(enable), configured=configured, wait_s=settings.run_lock_wait
        )
        for line in [e.message for e in events] + config_notes(ids, configured):
            _err().print(line, highlight=False, markup=False)
        return
    print_sources(source_rows(configured, settings.db_path), _console(piped_width=160))


def _probe(configured: list, settings) -> int:
    """Exit 0 when every enabled source answered with items, 1 otherwise (a cron-able check)."""
    from flows.ingest.probe import probe as run_probe
    from flows.ingest.run import policy_of

    width = max((len(s.id) for s in configured), default=10)
    out = _console(piped_width=200)

    def say(p) -> None:
        mark = "ok  " if p.ok else "FAIL"
        state = "" if p.source.enabled else " (disabled)"
        out.print(f"{mark} {p.source.id:<{width}} {p.verdict}{state}", markup=False, highlight=False)

    results = run_probe(configured, settings, policy_of(settings), on_result=say)
    bad = [p for p in results if not p.ok and p.source.enabled]
    _err().print(
        f"{len(results) - len([p for p in results if not p.ok])} of {len(results)} sources answered with items; "
        f"{len(bad)} enabled source(s) failed",
        highlight=False,
        markup=False,
    )
    return 1 if bad else 0


@app.command()
@edge
def alerts(
    status: Annotated[
        str | None, typer.Option(help="Only this status: pending, sending, sent, uncertain, superseded, given_up.")
    ] = None,
    resend: Annotated[
        list[str] | None, typer.Option("--resend", help="Queue this uncertain/given-up alert again (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
    db: DbOpt = None,
) -> None:
    """Show the alert ledger; --resend ID queues an uncertain or given-up alert for the next run."""
    from flows.cli.alerts import list_alerts
    from flows.cli.alerts import resend as resend_alerts
    from flows.settings import load_settings

    settings = load_settings(db=db)
    if resend:
        done = resend_alerts(settings.db_path, resend)
        _err().print(f"queued again: {', '.join(done)} (sent by the next `treatywatch run`)", highlight=False)
        return
    list_alerts(settings.db_path, status, limit, _console(piped_width=160))


@app.command()
@edge
def serve(
    schedules: Annotated[Path, typer.Option(help="Schedules YAML: group -> interval or cron.")] = Path(
        "config/schedules.yaml"
    ),
    sources: SourcesOpt = None,
    alerts: AlertsOpt = None,
    db: DbOpt = None,
    config_dir: ConfigDirOpt = None,
    port: Annotated[int, typer.Option(help="Port of the local Prefect server (when PREFECT_API_URL is unset).")] = 4200,
    ui: Annotated[bool, typer.Option(help="Serve the Prefect UI from the local server.")] = True,
    run_at_start: Annotated[bool, typer.Option(help="Run each schedule once at start, then on its schedule.")] = True,
) -> None:
    """Run the monitor flow on schedules (per source group) until Ctrl-C; starts a local Prefect server if needed."""
    from flows.preflight import preflight
    from flows.settings import load_settings

    settings = load_settings(sources=sources, alerts=alerts, db=db, config_dir=config_dir)
    preflight(settings, schedules)  # every config mistake fails here, before Prefect starts
    from flows.serve.service import ServeOptions
    from flows.serve.service import serve as serve_flows

    opts = ServeOptions(
        schedules,
        sources,
        alerts,
        db,
        config_dir,
        port=port,
        ui=ui,
        run_at_start=run_at_start,
        server_home=settings.db_path.resolve().parent / "prefect-server",
    )
    serve_flows(opts, say=lambda line: _err().print(line, highlight=False, markup=False, soft_wrap=True))


@app.command()
@edge
def check(
    sources: SourcesOpt = None,
    alerts: AlertsOpt = None,
    db: DbOpt = None,
    config_dir: ConfigDirOpt = None,
    schedules: Annotated[Path, typer.Option(help="Schedules YAML.")] = Path("config/schedules.yaml"),
) -> None:
    """Validate the configuration (sources, rules, alerts, apprise URLs, schedules) and that the DB opens."""
    from flows.cli.check import print_checks, run_checks
    from flows.settings import load_settings

    settings = load_settings(sources=sources, alerts=alerts, db=db, config_dir=config_dir)
    results = run_checks(settings, schedules)
    print_checks(results, _console())
    if any(not r.ok for r in results):
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command()
@edge
def replay(
    since: Annotated[
        str | None,
        typer.Option(
            help="Only items published (else fetched) since: an ISO date, today, yesterday, or an age like 12h, 7d, 2w."
        ),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the events that appear (default: only show the diff).")
    ] = False,
    db: DbOpt = None,
    config_dir: ConfigDirOpt = None,
    limit: Annotated[int, typer.Option(help="Changes to show (the summary counts all; --out gets every one).")] = 50,
    out: Annotated[
        Path | None, typer.Option(help="Write every change to this file: CSV if it ends in .csv, else JSON.")
    ] = None,
) -> None:
    """Re-run the current rules over stored items; show events that would appear or disappear."""
    from datetime import datetime

    from flows.cli.dates import parse_when
    from flows.replay import replay as run_replay
    from flows.settings import load_settings

    settings = load_settings(db=db, config_dir=config_dir)
    start = parse_when(since, datetime.now(UTC)) if since else None
    run_replay(
        settings.db_path,
        settings.config_dir,
        settings.routing_file,
        start,
        apply,
        _console(piped_width=100),
        limit=max(0, limit),
        out=out,
    )


def _when(value: str | None, option: str) -> datetime | None:
    """An ISO date/time (UTC when no zone), or a relative `7d` / `2w` / `12h` / `today` / `yesterday`."""
    from datetime import datetime

    from flows.cli.dates import parse_when

    return parse_when(value, datetime.now(UTC), option) if value else None


@app.command()
@edge
def report(
    since: Annotated[
        str | None, typer.Option(help="Clusters seen on or after: ISO date, or 7d, 2w, yesterday.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Clusters first seen before: ISO date, or 7d, 2w, today.")] = None,
    country: Annotated[str | None, typer.Option(help="Only clusters with this party (ISO code, e.g. RU).")] = None,
    type: Annotated[str | None, typer.Option("--type", help="Only this event type, e.g. termination.")] = None,
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("report.html"),
    db: DbOpt = None,
    config_dir: Annotated[Path | None, typer.Option(help="Directory with rules/ (for evidence highlights).")] = None,
) -> None:
    """Write one self-contained HTML report: figures, charts, clusters with evidence, source health, runs."""
    from datetime import datetime

    from flows.alerts.views import instrument_labels
    from flows.extractor_cache import load_cached_extractor
    from flows.report.build import build_report, default_cache_dir
    from flows.report.data import Scope
    from flows.settings import load_settings
    from parsers.models import FAMILY_OF

    if type and type not in FAMILY_OF:
        _fail(ValueError(f"unknown type {type!r}: use {', '.join(sorted(FAMILY_OF))}"))
    scope = Scope(since=_when(since, "--since"), until=_when(until, "--until"), country=country, type=type)
    try:
        settings = load_settings(db=db, config_dir=config_dir)
        extractor = load_cached_extractor(settings.config_dir)
        got = build_report(
            settings.db_path,
            out,
            scope,
            extractor=extractor,
            cache_dir=default_cache_dir(),
            now=datetime.now(UTC),
            labels=instrument_labels(settings.config_dir),
        )
    except (TreatywatchError, OSError) as exc:
        _fail(exc)
    _err().print(
        f"report: {out} ({got['clusters']} clusters, {got['mentions']} mentions, {got['bytes'] / 1e6:.1f} MB)",
        highlight=False,
        markup=False,
    )


@app.command()
@edge
def review(
    since: Annotated[
        str | None, typer.Option(help="Only clusters seen on or after: ISO date, or 7d, 2w, yesterday.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Clusters to show.")] = 20,
    db: DbOpt = None,
) -> None:
    """Clusters no analyst has marked yet, newest first."""
    from flows.cli.feedback import review as show_review
    from flows.settings import load_settings

    try:
        settings = load_settings(db=db)
        show_review(settings.db_path, _when(since, "--since"), limit, _console(piped_width=80))
    except TreatywatchError as exc:
        _fail(exc)


@app.command()
@edge
def mark(
    cluster_id: Annotated[str, typer.Argument(help="The cluster (see `treatywatch review` or v_clusters).")],
    verdict: Annotated[str, typer.Argument(help="correct | wrong | parties | type")],
    actor: Annotated[str | None, typer.Option(help="Corrected actor (verdict parties).")] = None,
    counterparts: Annotated[str | None, typer.Option(help="Corrected counterparts, comma-separated ISO codes.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="Corrected type (verdict type).")] = None,
    note: Annotated[str | None, typer.Option(help="Why, in a few words.")] = None,
    db: DbOpt = None,
) -> None:
    """Record a verdict on a cluster; `wrong` stops its alerts for good (latest mark wins, history kept)."""
    from datetime import datetime

    from flows.cli.feedback import mark as record_mark
    from flows.settings import load_settings

    try:
        settings = load_settings(db=db)
        stopped = record_mark(
            settings.db_path,
            cluster_id,
            verdict,
            actor=actor,
            counterparts=counterparts.split(",") if counterparts else None,
            type_=type,
            note=note,
            now=datetime.now(UTC),
        )
    except TreatywatchError as exc:
        _fail(exc)
    extra = f"; {len(stopped)} unsent alert(s) stopped" if stopped else ""
    _err().print(f"marked {cluster_id} {verdict}{extra}", highlight=False, markup=False)


feedback_app = typer.Typer(help="Analysts' marks as data.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
@edge
def feedback_export(
    out: Annotated[
        Path, typer.Option(help="JSONL file in the evaluation format (id, lang, text, title, events, label_class).")
    ],
    db: DbOpt = None,
) -> None:
    """Export marked items with their corrected events, so analysts' marks become regression data."""
    from flows.cli.feedback import export
    from flows.settings import load_settings

    try:
        settings = load_settings(db=db)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            n = export(settings.db_path, fh)
    except (TreatywatchError, OSError) as exc:
        _fail(exc)
    _err().print(f"exported {n} item(s) to {out}", highlight=False, markup=False)


if __name__ == "__main__":
    app()
