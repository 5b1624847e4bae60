import os
import sys
from contextlib import contextmanager

import click
from flask.cli import AppGroup

from app.services.dataio import exports, registry
from app.services.platform import import_frame
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from app.services.reconciliation import statements


@click.group("data", cls=AppGroup)
def data():
    """Import and export data files (docs/formats.md)."""


@data.command("import")
@click.argument("kind", type=click.Choice(sorted(registry.IMPORTERS)))
@click.argument("file")  # an unreadable FILE is the importer's to report (exit 1)
@click.option("--format", "fmt", default="csv", show_default=True, help="File format.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Write rejected rows here (CSV).")
def import_command(kind, file, fmt, rejects):
    """Import FILE of KIND; prints `read N, accepted A, rejected R, duplicates D`."""
    with acting_as():
        try:
            with _progress_bar(file) as progress:
                summary = registry.run(kind, file, fmt, progress=progress)
        except DomainError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
        if rejects:
            import_frame.write_rejects(summary.batch_id, rejects)
    click.echo(summary.line())
    if isinstance(summary, statements.StatementSummary) and summary.rejected:
        # the statement's line has no place for them (docs/reconciliation.md)
        click.echo(summary.rejected_line(), err=True)


@contextmanager
def _progress_bar(file: str):
    """progress(bytes read) drawing a bar on stderr when that is a terminal (stdout keeps the
    summary line only); None otherwise."""
    stderr = click.get_text_stream("stderr")
    if not stderr.isatty() or not os.path.isfile(file):
        yield None
        return
    size = os.path.getsize(file)
    with click.progressbar(length=size, label=os.path.basename(file), file=stderr) as bar:

        def progress(done: int) -> None:
            bar.update(done - bar.pos)

        yield progress


@data.command("export")
@click.argument("kind", type=click.Choice(exports.KINDS))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="ledger, journal: from this day."
)
@click.option(
    "--to", "until", type=click.DateTime(["%Y-%m-%d"]), help="ledger, journal: to this day."
)
def export_command(kind, file, since, until):
    """Export KIND to FILE."""
    period = {}
    if since or until:
        if kind not in exports.PERIOD_EXPORTS:
            raise click.UsageError("--from and --to are for the ledger and journal exports")
        period = {"since": since and since.date(), "until": until and until.date()}
    with acting_as(), open(file, "w", newline="", encoding="utf-8") as out:
        count = exports.write_export(kind, out, region_ids=None, **period)
    click.echo(f"exported {count}")
