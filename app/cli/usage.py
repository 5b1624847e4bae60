import click
from flask.cli import AppGroup

from app.services import rating
from app.services.actor import acting_as


@click.group("usage", cls=AppGroup)
def usage():
    """Usage rating (CONTRACT.md §3)."""


@usage.command("rate")
def rate():
    """Rate every pending usage record; prints `rated R, unrated U`."""
    with acting_as():
        summary = rating.rate_pending()
    click.echo(str(summary))
