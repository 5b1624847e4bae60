import sys
from datetime import date

import click
from flask.cli import AppGroup

from app.services import billing as bill_runs
from app.services.actor import acting_as
from app.services.errors import DomainError


@click.group("billing", cls=AppGroup)
def billing():
    """Bill runs and bills (CONTRACT.md §4)."""


@billing.command("run")
@click.option("--date", "run_date", required=True, help="The bill date, YYYY-MM-DD.")
@click.option("--dry-run", is_flag=True, help="Work the bills out, write nothing.")
def run(run_date, dry_run):
    """Bill the postpaid accounts whose bill day is the date's day; prints
    `invoices created N, already billed M`."""
    try:
        day = date.fromisoformat(run_date)
    except ValueError:
        click.echo(f"error: --date: {run_date!r} is not a date YYYY-MM-DD", err=True)
        sys.exit(1)
    with acting_as():
        try:
            summary = bill_runs.run(day, dry_run=dry_run)
        except DomainError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
    if dry_run:
        click.echo("dry run: nothing was written", err=True)
    click.echo(str(summary))
    for ref, reason in summary.failed:
        click.echo(f"not billed: {ref}: {reason}", err=True)
