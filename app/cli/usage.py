import sys

import click
from flask.cli import AppGroup

from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from app.services.usage import rating_runs


@click.group("usage", cls=AppGroup)
def usage():
    """Usage rating (docs/rating.md)."""


@usage.command("rate")
def rate():
    """Rate every pending usage record; prints `rated R, unrated U`."""
    with acting_as():
        summary = rating_runs.rate_pending()
    click.echo(str(summary))


@usage.command("rerate")
@click.option("--service", "numbers", multiple=True, help="A line's number (repeatable).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Day after the last.")
def rerate(numbers, start, end):
    """Rate postpaid usage again after a rate change (whole allowance cycles)."""
    with acting_as():
        try:
            service_ids = rating_runs.service_ids_of(numbers) if numbers else None
        except DomainError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
        summary = rating_runs.rerate(
            service_ids, start.date() if start else None, end.date() if end else None
        )
    click.echo(str(summary))
    if summary.invoiced:
        click.echo(f"cycles left alone, on issued invoices: {summary.invoiced}")
