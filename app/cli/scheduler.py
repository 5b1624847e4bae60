import logging

import click
from flask import current_app
from flask.cli import AppGroup

from app.jobs import JOBS
from app.services import scheduler as scheduler_service


@click.group("scheduler", cls=AppGroup)
def scheduler():
    """The job scheduler."""


@scheduler.command("run")
def run():
    """Run the scheduler; a second one stands by until the first stops."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    scheduler_service.run_forever(current_app._get_current_object(), JOBS)
