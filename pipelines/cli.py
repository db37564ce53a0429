"""The `earshot` command line: run the flows, inspect sources, query the warehouse."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from pipelines.config import ConfigError, LoadedConfig, load_config

app = typer.Typer(
    help="Earshot: listen before you send. Collect public posts, tag them, write a weekly digest.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


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
        _console(stderr=True).print(f"[bold red]Config error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def _step(label: str, call: Callable[[], T]) -> T:
    """Run one long step behind a spinner; turn known errors into one clear line."""
    from reports.errors import ReportError
    from warehouse import WarehouseError

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
        _console(stderr=True).print(f"  [red]✗[/] {source_id}: {error}", highlight=False)


def _print_enrich(s: Any) -> None:
    _console(stderr=True).print(
        f"[green]enrich[/]: {s.annotated} post(s) tagged (pipeline {s.pipeline_version[:12]})"
    )


def _print_digest(s: Any) -> None:
    sent = ", sent by e-mail" if s.sent else ""
    _console(stderr=True).print(
        f"[green]digest[/] {s.week}: {s.audience_posts} audience post(s), "
        f"written to {s.folder}{sent}"
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
    from pipelines import flows

    _load(config)
    _print_collect(_step("Collecting", lambda: flows.collect(str(config), force=force)))
    _print_enrich(_step("Enriching", lambda: flows.enrich(str(config))))
    _print_digest(_step("Writing the digest", lambda: flows.digest(str(config), week)))


@app.command()
def collect(
    config: ConfigOption = DEFAULT_CONFIG,
    force: Annotated[bool, typer.Option(help="Fetch every source, due or not.")] = False,
) -> None:
    """Fetch every due source and store new posts."""
    from pipelines import flows

    _load(config)
    _print_collect(_step("Collecting", lambda: flows.collect(str(config), force=force)))


@app.command()
def enrich(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Tag posts that lack annotations of the current pipeline and taxonomy."""
    from pipelines import flows

    _load(config)
    _print_enrich(_step("Enriching", lambda: flows.enrich(str(config))))


@app.command()
def digest(
    config: ConfigOption = DEFAULT_CONFIG,
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W47 (default: last complete week).")
    ] = None,
) -> None:
    """Write (and, with SMTP configured, send) the weekly digest."""
    from pipelines import flows

    _load(config)
    _print_digest(_step("Writing the digest", lambda: flows.digest(str(config), week)))


@app.command()
def alert(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Announce topic spikes now (webhook and e-mail, with the configured cooldown)."""
    from pipelines import flows

    _load(config)
    outcome = _step("Checking for spikes", lambda: flows.alert(str(config)))
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
    from pipelines import jobs
    from pipelines.drafts import check_draft_file

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
    from pipelines.serve import serve_schedules

    _load(config)
    serve_schedules(str(config))


sources_app = typer.Typer(
    help="Each source's health (the default), or add sources from a feed reader's OPML.",
    pretty_exceptions_show_locals=False,
)
app.add_typer(sources_app, name="sources")


@sources_app.callback(invoke_without_command=True)
def sources(ctx: typer.Context, config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Each source with its last status, last success, posts in the last 7 days, next attempt."""
    from pipelines.inspect import source_rows

    if ctx.invoked_subcommand is not None:
        return
    loaded = _load(config)
    rows = _step("Reading the warehouse", lambda: source_rows(loaded))
    table = Table(title=f"Sources of {loaded.config.organisation}")
    for column in (
        "source",
        "kind",
        "own",
        "last status",
        "last success",
        "posts 7d",
        "next attempt",
        "failures",
        "last error",
    ):
        table.add_column(column, overflow="fold")
    for r in rows:
        status = r["last_status"] or "never fetched"
        colour = {"ok": "green", "not_modified": "green", "failed": "red"}.get(status, "yellow")
        table.add_row(
            r["source_id"],
            r["kind"],
            "yes" if r["owned"] else "",
            f"[{colour}]{status}[/]",
            _when(r["last_success_at"]),
            str(r["posts_last_7_days"]),
            _when(r["next_attempt_at"]) or "now",
            str(r["failure_count"]),
            r["last_error"] or "",
        )
    _console().print(table)


@sources_app.command("import-opml")
def import_opml(
    opml: Annotated[Path, typer.Argument(help="An OPML file exported from a feed reader.")],
    config: ConfigOption = DEFAULT_CONFIG,
    lang: Annotated[str | None, typer.Option(help="Language hint for the new feeds.")] = None,
) -> None:
    """Add every feed of an OPML file to the config as a `feed` source (known URLs skipped)."""
    from pipelines.opml import OpmlImportError, import_opml_into

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
def sql(
    query: Annotated[str, typer.Argument(help="A SQL query over the analyst views.")],
    config: ConfigOption = DEFAULT_CONFIG,
    as_csv: Annotated[bool, typer.Option("--csv", help="Write CSV to standard output.")] = False,
) -> None:
    """Query the read-only analytics copy (views: posts, post_topics, topic_weekly,
    source_health); it is published after each collect and enrich."""
    from pipelines.inspect import run_query

    loaded = _load(config)
    columns, rows = _step("Querying", lambda: run_query(loaded, query))
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
        return
    table = Table()
    for c in columns:
        table.add_column(c, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    _console().print(table)


@app.command()
def export(
    config: ConfigOption = DEFAULT_CONFIG,
    fmt: Annotated[str, typer.Option("--format", help="Archive format: parquet.")] = "parquet",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Target folder (default: `export` beside the config)."),
    ] = None,
) -> None:
    """Write posts, annotations and topic tags as Parquet, one folder per month
    (`OUT/posts/month=2026-10/*.parquet`), from the analytics copy."""
    from warehouse.export import export_parquet
    from warehouse.publish import open_analytics_copy

    if fmt != "parquet":
        _console(stderr=True).print(
            f"[bold red]Export failed:[/] --format: unknown format {fmt!r}; expected parquet",
            highlight=False,
        )
        raise typer.Exit(2)
    loaded = _load(config)
    target = out if out is not None else loaded.path.parent / "export"

    def write() -> dict[str, int]:
        con = open_analytics_copy(loaded.analytics_path)
        try:
            return export_parquet(con, target)
        finally:
            con.close()

    written = _step("Exporting", write)
    counts = ", ".join(f"{rows} {table}" for table, rows in written.items())
    _console(stderr=True).print(f"[green]exported[/] {counts} to {target}", highlight=False)


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


if __name__ == "__main__":
    app()
