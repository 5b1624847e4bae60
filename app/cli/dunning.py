"""`flask dunning`: the dunning run and the hand-over to collection (docs/dunning.md)."""

import sys
from datetime import date

import click
from flask.cli import AppGroup

from app.services.dunning import runs
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
        sys.exit(2)
    with acting_as():
        try:
            summary = runs.run(day)
        except DomainError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
    click.echo(str(summary))
