"""`flask debit`: SEPA direct debit collection runs and their returns (docs/direct-debit.md)."""

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from app.services.direct_debit import collections, returns
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError


@click.group("debit", cls=AppGroup)
def debit():
    """SEPA direct debit: collection runs (pain.008) and returns (pain.002)."""


@debit.command("collect")
@click.option("--date", "on", required=True, help="The collection date, YYYY-MM-DD.")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the pain.008 file here (one file per region: FILE-REGION.xml when several).",
)
def collect(on, out):
    """Debit each EUR account with an active mandate for its open invoices due by the date,
    not collected before; prints `files N, debits M, total EUR X`."""
    try:
        day = date.fromisoformat(on)
    except ValueError:
        _fail(f"--date: {on!r} is not a date YYYY-MM-DD")
    with acting_as():
        collected = collections.collect(day)
    click.echo(str(collected))
    for where, reason in collected.skipped:
        click.echo(f"not collected: {where}: {reason}", err=True)
    if out is None:
        return
    for run in collected.runs:
        path = out
        if len(collected.runs) > 1:
            path = out.with_name(f"{out.stem}-{run.region.code}{out.suffix}")
        path.write_bytes(run.file)
        click.echo(f"written: {path}", err=True)


@debit.command("returns")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def returns_command(path):
    """Apply the returns a pain.002 status report lists; prints `returned N, duplicates M,
    rejected K` and each rejected line with its reason."""
    with acting_as():
        try:
            read = returns.read_file(path.read_bytes(), path.name)
        except DomainError as exc:
            _fail(exc.message)
    click.echo(str(read))
    for line, reason in read.rejected:
        click.echo(f"line {line}: {reason}", err=True)


def _fail(message) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)
