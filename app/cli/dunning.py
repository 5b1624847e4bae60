"""`flask dunning`: the dunning run and the hand-over to collection (docs/dunning.md)."""

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from app.services.dunning import collection, runs
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError


@click.group("dunning", cls=AppGroup)
def dunning():
    """Dunning: reminders, letters, barring and restoring, collection."""


@dunning.command("run")
@click.option("--date", "on", required=True, help="The run's date, YYYY-MM-DD.")
def run(on):
    """Open a case for every account with overdue bills and take each step due by the date,
    once; prints `cases opened N, closed M, steps taken S, held H, waiting for the network W`."""
    try:
        day = date.fromisoformat(on)
    except ValueError:
        click.echo(f"error: --date: {on!r} is not a date YYYY-MM-DD", err=True)
        sys.exit(1)
    with acting_as():
        try:
            summary = runs.run(day)
        except DomainError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
    click.echo(str(summary))


@dunning.command("handover")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def handover(out):
    """Write the debts of every case whose lines were terminated to OUT (CSV, for the
    collection agency) and mark those cases handed over; prints `cases handed over N`."""
    with acting_as():
        try:
            count = collection.hand_over(None, lambda text: out.write_text(text, encoding="utf-8"))
        except DomainError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
    click.echo(f"cases handed over {count}")
