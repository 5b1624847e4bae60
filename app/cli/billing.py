import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from app.services.billing import delivery
from app.services.billing import pdf as bill_pdf
from app.services.billing import runs as bill_runs
from app.services.crm import regions as region_service
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError


@click.group("billing", cls=AppGroup)
def billing():
    """Bill runs and bills (docs/billing.md)."""


@billing.command("run")
@click.option("--date", "run_date", required=True, help="The bill date, YYYY-MM-DD.")
@click.option("--dry-run", is_flag=True, help="Work the bills out, write nothing.")
def run(run_date, dry_run):
    """Bill the postpaid accounts whose cycle ends on the date (their bill day, every 1, 2
    or 3 months); prints `invoices created N, already billed M`."""
    try:
        day = date.fromisoformat(run_date)
    except ValueError:
        _fail(f"--date: {run_date!r} is not a date YYYY-MM-DD")
    with acting_as():
        try:
            summary = bill_runs.run(day, dry_run=dry_run)
        except DomainError as exc:
            _fail(exc.message)
    if dry_run:
        click.echo("dry run: nothing was written", err=True)
    click.echo(str(summary))
    if set(summary.by_months) - {1}:  # accounts billed every two or three months among them
        click.echo(
            "by bill frequency: "
            + ", ".join(
                f"every {months} month{'s' if months > 1 else ''} {count}"
                for months, count in sorted(summary.by_months.items())
            ),
            err=True,
        )
    for ref, reason in summary.failed:
        click.echo(f"not billed: {ref}: {reason}", err=True)


def _fail(message) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@billing.command("pdf")
@click.argument("number")
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def pdf(number, out):
    """Write the PDF of invoice or credit note NUMBER, in its account's language, to FILE
    (the copy stored when it was first rendered, checked against its SHA-256; a void
    invoice's marked VOID)."""
    with acting_as():
        try:
            content = bill_pdf.download_by_number(number)
        except DomainError as exc:
            _fail(f"{number}: {exc.reason}")
        except bill_pdf.DocumentFault as exc:
            _fail(exc)
    out.write_bytes(content)
    click.echo(f"{out}: {len(content)} bytes")


@billing.command("deliver")
def deliver():
    """Queue each new bill for its account's delivery channel and send the emails that are
    due (what the `deliver-bills` job does); prints the counts."""
    with acting_as():
        click.echo(str(delivery.deliver()))


@billing.command("print-batch")
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--region", "regions", multiple=True, help="Only this region's letters (code).")
def print_batch(out, regions):
    """Merge every paper bill waiting into one PDF to print, write it to FILE and count
    those letters as sent."""
    region_ids = None
    if regions:
        try:
            region_ids = region_service.ids_of(regions)
        except DomainError as exc:
            _fail(f"--region: {exc.reason}")
    with acting_as():
        try:
            batch = delivery.print_batch(region_ids)
        except DomainError as exc:
            _fail(exc.message)
        content = delivery.batch_content(batch)
    out.write_bytes(content)
    click.echo(f"{out}: print batch {batch.id}, {batch.documents} bills, {batch.pages} pages")
