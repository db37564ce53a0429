"""The `earshot` command line: run the flows, inspect sources, query the warehouse."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from earshot.pipelines.config import ConfigError, LoadedConfig, is_stream, load_config

app = typer.Typer(
    help="Earshot: listen before you send. Collect public posts, tag them, write a weekly digest.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Show Prefect's flow and task logs in the terminal too."
        ),
    ] = False,
) -> None:
    """Earshot: listen before you send. Collect public posts, tag them, write a weekly digest."""
    from earshot.pipelines.prefect_env import prepare_prefect

    # Before any command imports Prefect. `serve` is a long-running scheduler: its terminal
    # keeps Prefect's log of every run.
    prepare_prefect(verbose=verbose or ctx.invoked_subcommand == "serve")


def _console(*, stderr: bool = False) -> Console:
    # Made per call, so COLUMNS and the terminal of this invocation are honoured.
    return Console(stderr=stderr)


ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The listening config file.", show_default=True)
]
DEFAULT_CONFIG = Path("listening.yaml")
T = TypeVar("T")


def _load(config: Path) -> LoadedConfig:
    try:
        return load_config(config)
    except ConfigError as exc:
        _console(stderr=True).print(
            f"[bold red]Config error:[/] {exc}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from None


def _refuse(message: str) -> NoReturn:
    """A bad argument: one line, exit 2, before any flow (or Prefect) starts."""
    _console(stderr=True).print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _week(week: str | None) -> str | None:
    from earshot.warehouse.weeks import parse_week

    if week is not None:
        try:
            parse_week(week)
        except ValueError as exc:
            _refuse(f"--week: {exc}")
    return week


def _source(loaded: LoadedConfig, source_id: str | None) -> str | None:
    known = [s.id for s in loaded.config.sources]
    if source_id is None or source_id in known:
        return source_id
    close = difflib.get_close_matches(source_id, known, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known)}"
    _refuse(f"--source {source_id!r}: no such source in {loaded.path}; {hint}")


def _step(label: str, call: Callable[[], T]) -> T:
    """Run one long step behind a spinner; turn known errors into one clear line."""
    from earshot.reports.errors import ReportError
    from earshot.warehouse import WarehouseError

    try:
        with _console(stderr=True).status(f"[bold]{label}…[/]", spinner="dots"):
            return call()
    except (ConfigError, WarehouseError, ReportError, ValueError) as exc:
        _console(stderr=True).print(f"[bold red]{label} failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


def _print_collect(s: Any) -> None:
    _console(stderr=True).print(
        f"[green]collect[/]: {s.sources_due} source(s) due, {s.posts_added} new post(s), "
        f"{s.not_modified} unchanged, {s.failed} failed"
    )
    for source_id, error in s.errors.items():
        _console(stderr=True).print(
            f"  [red]✗[/] {source_id}: {error}", highlight=False, soft_wrap=True
        )
    for source_id, warning in s.warnings.items():
        _console(stderr=True).print(
            f"  [yellow]![/] {source_id}: {warning}", highlight=False, soft_wrap=True
        )


def _print_enrich(s: Any) -> None:
    _console(stderr=True).print(
        f"[green]enrich[/]: {s.annotated} post(s) tagged (pipeline {s.pipeline_version[:12]})"
    )


def _print_digest(s: Any) -> None:
    sent = ", sent by e-mail" if s.sent else ""
    _console(stderr=True).print(
        f"[green]digest[/] {s.week}: {s.audience_posts} audience post(s), "
        f"written to {s.folder}{sent}",
        soft_wrap=True,
    )
    if s.no_source_reachable:
        _console(stderr=True).print(
            "  [yellow]no source could be reached; see `earshot sources`[/]"
        )


@app.command()
def run(
    config: ConfigOption = DEFAULT_CONFIG,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W47.")] = None,
    force: Annotated[bool, typer.Option(help="Fetch every source, due or not.")] = False,
) -> None:
    """The whole loop once: collect -> enrich -> digest."""
    week = _week(week)
    path = str(_load(config).path.resolve())
    from earshot.pipelines import flows

    _print_collect(_step("Collecting", lambda: flows.collect(path, force=force)))
    _print_enrich(_step("Enriching", lambda: flows.enrich(path)))
    _print_digest(_step("Writing the digest", lambda: flows.digest(path, week)))


@app.command()
def collect(
    config: ConfigOption = DEFAULT_CONFIG,
    force: Annotated[bool, typer.Option(help="Fetch every source, due or not.")] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="Fetch only this source (by id), due or not.")
    ] = None,
) -> None:
    """Fetch every due source (or the one `--source`) and store new posts."""
    loaded = _load(config)
    only = _source(loaded, source)
    if only is not None and any(s.id == only and is_stream(s) for s in loaded.config.sources):
        _refuse(f"--source {only!r} is a stream source: `earshot stream --source {only}` reads it")
    path = str(loaded.path.resolve())
    from earshot.pipelines import flows

    _print_collect(_step("Collecting", lambda: flows.collect(path, force=force, source=only)))


@app.command()
def enrich(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Tag posts that lack annotations of the current pipeline and taxonomy."""
    path = str(_load(config).path.resolve())
    from earshot.pipelines import flows

    _print_enrich(_step("Enriching", lambda: flows.enrich(path)))


@app.command()
def digest(
    config: ConfigOption = DEFAULT_CONFIG,
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W47 (default: last complete week).")
    ] = None,
) -> None:
    """Write (and, with SMTP configured, send) the weekly digest."""
    week = _week(week)
    path = str(_load(config).path.resolve())
    from earshot.pipelines import flows

    _print_digest(_step("Writing the digest", lambda: flows.digest(path, week)))


@app.command()
def alert(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Announce topic spikes now (webhook and e-mail, with the configured cooldown)."""
    path = str(_load(config).path.resolve())
    from earshot.pipelines import flows

    outcome = _step("Checking for spikes", lambda: flows.alert(path))
    _console(stderr=True).print(
        f"[green]alert[/]: {len(outcome.spikes)} spike(s), {len(outcome.announced)} announced, "
        f"{len(outcome.suppressed)} in cooldown"
    )
    for channel, error in outcome.errors.items():
        _console(stderr=True).print(f"  [red]✗[/] {channel}: {error}", highlight=False)


@app.command()
def check(
    draft: Annotated[Path, typer.Argument(help="A draft post or newsletter (text or Markdown).")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Before you send: the draft's topics and buckets, how the audience moved on them, open
    questions, and a warning when the draft lands in a negative spike."""
    from earshot.pipelines import jobs
    from earshot.pipelines.drafts import check_draft_file

    loaded = _load(config)
    result, report = _step(
        "Checking the draft", lambda: check_draft_file(loaded, draft, jobs.utcnow())
    )
    _console().print(report, highlight=False, markup=False, end="")
    if result.warnings:
        raise typer.Exit(3)


@app.command()
def serve(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Run the schedules of prefect.yaml on this machine (collect every 30 min, digest Mondays)."""
    from earshot.pipelines.serve import serve_schedules

    # The resolved file, as for the other commands: served runs then read the config this
    # command checked, whatever EARSHOT_HOME (which resolves relative paths) says.
    serve_schedules(str(_load(config).path.resolve()))


@app.command()
def stream(
    config: ConfigOption = DEFAULT_CONFIG,
    source: Annotated[
        str | None, typer.Option("--source", help="Stream only this source (by id).")
    ] = None,
) -> None:
    """Read the stream sources (Bluesky Jetstream) until SIGTERM or Ctrl-C."""
    loaded = _load(config)
    only = _source(loaded, source)
    streams = [s.id for s in loaded.config.sources if is_stream(s)]
    if only is not None and only not in streams:
        _refuse(f"--source {only!r} is not a stream source (`kind: bluesky` with `stream: true`)")
    if not streams:
        _refuse(f"{loaded.path}: no stream source (`kind: bluesky` with `stream: true`)")
    from earshot.pipelines.stream import StreamError, run_streams_logged

    try:
        summary = run_streams_logged(loaded, only)
    except StreamError as exc:
        _refuse(str(exc))
    _console(stderr=True).print(summary, highlight=False, soft_wrap=True)


sources_app = typer.Typer(
    help="Each source's health (the default), or add sources from a feed reader's OPML.",
    pretty_exceptions_show_locals=False,
)
app.add_typer(sources_app, name="sources")


@sources_app.callback(invoke_without_command=True)
def sources(ctx: typer.Context, config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Each source with its last status, last success, posts in the last 7 days, next attempt,
    how far back its history reaches (a stream source: where its cursor stands and how far
    behind it was at its last batch)."""
    from earshot.pipelines.cli_sources import sources_table
    from earshot.pipelines.inspect import source_rows

    if ctx.invoked_subcommand is not None:
        return
    loaded = _load(config)
    rows = _step("Reading the warehouse", lambda: source_rows(loaded))
    _console().print(sources_table(loaded, rows))


@sources_app.command("import-opml")
def import_opml(
    opml: Annotated[Path, typer.Argument(help="An OPML file exported from a feed reader.")],
    config: ConfigOption = DEFAULT_CONFIG,
    lang: Annotated[str | None, typer.Option(help="Language hint for the new feeds.")] = None,
) -> None:
    """Add every feed of an OPML file to the config as a `feed` source (known URLs skipped)."""
    from earshot.pipelines.opml import OpmlImportError, import_opml_into

    _load(config)
    try:
        added, skipped = import_opml_into(config, opml, lang=lang)
    except OpmlImportError as exc:
        _console(stderr=True).print(f"[bold red]OPML import failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    _console(stderr=True).print(
        f"[green]imported[/] {len(added)} feed(s) into {config}"
        + (f", {skipped} already configured" if skipped else ""),
        highlight=False,
    )
    for source_id in added:
        _console().print(f"  + {source_id}", highlight=False)


@app.command()
def backfill(
    source_id: Annotated[str, typer.Argument(help="The source to fill, by id.")],
    since: Annotated[
        str, typer.Option(help="Fill back to this day (2026-09-01, the organisation's zone).")
    ],
    until: Annotated[
        str | None, typer.Option(help="Up to and including this day (default: now).")
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Fill a source's history back to a date where its platform allows it; a stopped run
    goes on where it stopped when called again."""
    from earshot.pipelines import backfill as job

    loaded = _load(config)
    try:
        request = job.plan(loaded, source_id, since, until)
    except job.BackfillRefused as exc:
        _refuse(str(exc))
    summary = _step(
        "Backfilling",
        lambda: job.run_backfill(loaded, request.spec, request.since, request.until),
    )
    _console(stderr=True).print(job.describe(summary), highlight=False, soft_wrap=True)
    if summary.error:
        raise typer.Exit(1)


@app.command()
def learn(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Learn each language's sentiment and each topic's relevance from the labels; a model is
    used only where it beats the rules in cross-validation on those labels (the next
    `earshot enrich` re-tags)."""
    loaded = _load(config)
    from earshot.pipelines.learning import learn_all, relevance_report, sentiment_report

    learning = _step("Learning", lambda: learn_all(loaded))
    if not learning.sentiment:
        _console(stderr=True).print("no language with rules' sentiment to learn for")
    for learned in learning.sentiment:
        _console().print(sentiment_report(learned), highlight=False, markup=False)
    for topic in learning.relevance:
        _console().print(relevance_report(topic), highlight=False, markup=False)


labels_app = typer.Typer(
    help="The organisation's labels: import, export, and the posts to label next.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(labels_app, name="labels")


@labels_app.command("import")
def labels_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV or TSV with a header: text|post_id|url, [lang], sentiment and/or "
            "topic + relevant."
        ),
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv, tsv or germeval2017 (default: by the suffix)."),
    ] = None,
    topic: Annotated[
        str | None,
        typer.Option(help="germeval2017: the topic its relevance column judges."),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who labelled (default: you).")] = None,
) -> None:
    """Add the labels of a file to the warehouse: all of them, or none when a row is bad."""
    from earshot.warehouse.labels import FORMATS

    if fmt is not None and fmt not in FORMATS:
        _refuse(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if topic is not None and fmt != "germeval2017":
        _refuse("--topic: only for --format germeval2017 (other files have a topic column)")
    if not file.is_file():
        _refuse(f"{file}: no such file")
    loaded = _load(config)
    from earshot.pipelines import labels

    stored = _step(
        "Importing labels",
        lambda: labels.import_labels(loaded, file, fmt=fmt, topic=topic, labelled_by=by),
    )
    _console(stderr=True).print(
        f"[green]imported[/] {stored} label(s) from {file}", highlight=False
    )


@labels_app.command("export")
def labels_export(
    config: ConfigOption = DEFAULT_CONFIG,
    out: Annotated[
        Path | None, typer.Option("--out", help="The file to write (default: standard output).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or tsv.")] = "csv",
) -> None:
    """Write every label (the import's columns, then who, when and where from) as CSV or TSV;
    the file imports again. Reads the analytics copy."""
    from earshot.pipelines.cli_labels import write_labels
    from earshot.warehouse.labels import export_rows
    from earshot.warehouse.publish import open_analytics_copy

    if fmt not in ("csv", "tsv"):
        _refuse(f"--format {fmt!r}: expected csv or tsv")
    loaded = _load(config)
    con = _step("Reading the labels", lambda: open_analytics_copy(loaded.analytics_path))
    try:
        rows = list(_step("Reading the labels", lambda: list(export_rows(con))))
    finally:
        con.close()
    write_labels(rows, out, tsv=fmt == "tsv")


@labels_app.command("next")
def labels_next(
    config: ConfigOption = DEFAULT_CONFIG,
    n: Annotated[int, typer.Option("--n", help="How many posts to offer.")] = 20,
) -> None:
    """The stored posts whose label would teach the models most (uncertain ones, spread over
    topics and weeks; never labelled ones): post id, topic, week, question (sentiment, or
    relevant: is it about the topic?), text."""
    if n < 1:
        _refuse(f"--n {n}: expected at least 1")
    loaded = _load(config)
    from earshot.pipelines.cli_labels import print_next
    from earshot.pipelines.teach import next_to_label

    items = _step("Choosing posts to label", lambda: next_to_label(loaded, n))
    print_next(items)


SQL_DEFAULT_LIMIT = 40


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A SQL query over the analyst views.")],
    config: ConfigOption = DEFAULT_CONFIG,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Write every row as CSV to standard output.")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", help="Rows to show in the table.", show_default=True)
    ] = SQL_DEFAULT_LIMIT,
    show_all: Annotated[
        bool, typer.Option("--all", help="Show every row in the table (slow past thousands).")
    ] = False,
) -> None:
    """Query the read-only analytics copy (views: posts, post_topics, topic_weekly,
    source_health); it is published after each collect and enrich."""
    from earshot.pipelines.inspect import query_rows, run_query

    if limit < 0:
        _refuse(f"--limit {limit}: expected a number of rows, 0 or more")
    loaded = _load(config)
    from earshot.pipelines.cli_views import print_page, write_csv

    if as_csv:
        rows = query_rows(loaded, query)
        header = _step("Querying", lambda: next(rows, None))
        if header is not None:
            write_csv(header, rows)
        return
    print_page(_step("Querying", lambda: run_query(loaded, query, None if show_all else limit)))


@app.command()
def export(
    config: ConfigOption = DEFAULT_CONFIG,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Target folder (default: `export` beside the config)."),
    ] = None,
) -> None:
    """Write the documented analyst views as Parquet or CSV from the analytics copy; post
    views one folder per month (`OUT/posts/month=2026-10/`), the others one file each."""
    from earshot.warehouse.export import FORMATS

    if fmt not in FORMATS:
        _console(stderr=True).print(
            f"[bold red]Export failed:[/] --format: unknown format {fmt!r}; "
            f"expected {' or '.join(FORMATS)}",
            highlight=False,
        )
        raise typer.Exit(2)
    loaded = _load(config)
    target = out if out is not None else loaded.path.parent / "export"
    from earshot.pipelines.cli_views import export_analytics_copy

    written = _step("Exporting", lambda: export_analytics_copy(loaded, target, fmt))
    counts = ", ".join(f"{rows} {view}" for view, rows in written.items())
    _console(stderr=True).print(f"[green]exported[/] {counts} to {target}", highlight=False)


@app.command()
def explore(
    config: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8765,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser.")
    ] = False,
) -> None:
    """Browse, search and correct in a local web app (Earshot Explore) over the analytics
    copy; prints its URL with the access token (EARSHOT_EXPLORE_TOKEN, else a random one)."""
    from earshot.pipelines.explore import start_explore

    if not 0 < port < 65536:
        _refuse(f"--port {port}: expected 1 to 65535")
    loaded = _load(config)
    start_explore(
        loaded,
        host=host,
        port=port,
        open_browser=not no_browser,
        say=lambda line: _console().print(line, highlight=False, soft_wrap=True),
        refuse=_refuse,
        fail=_fail,
    )


def _fail(message: str) -> NoReturn:
    _console(stderr=True).print(f"[bold red]Explore failed:[/] {message}", highlight=False)
    raise typer.Exit(1)


def entry_point(argv: list[str] | None = None) -> int:
    """The `earshot` console script: the app, with usage errors said in one line (exit 2).

    Typer draws a usage error as a boxed panel with the command's usage; one line naming the
    option and the value, and where to look, is what a script's log and a person need.
    """
    try:  # Typer >= 0.23 carries its own copy of Click
        from typer._click import exceptions as click
    except ImportError:  # pragma: no cover - older Typer on Click itself
        from click import exceptions as click  # type: ignore[no-redef]

    try:
        result = app(args=argv, prog_name="earshot", standalone_mode=False)
    except click.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else str(exc))
        return 0
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "earshot"
        _console(stderr=True).print(
            f"[bold red]{where}:[/] {exc.format_message()} (see `{where} --help`)",
            highlight=False,
            soft_wrap=True,
        )
        return 2
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except typer.Abort:
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(entry_point())
