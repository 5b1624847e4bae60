import sys

import click
from flask.cli import AppGroup

from app.services.orders import provisioning as provisioning_service
from app.services.orders.provisioning_adapters import PermanentFailure
from app.services.platform.actor import acting_as


@click.group("provisioning", cls=AppGroup)
def provisioning():
    """Provisioning on the network."""


@provisioning.command("run")
def run():
    """Send the provisioning tasks that are due; prints `done D, retrying R, failed F`."""
    with acting_as():
        try:
            summary = provisioning_service.run_due()
        except PermanentFailure as exc:  # the adapter is not configured
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    click.echo(str(summary))
