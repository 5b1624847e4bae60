import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from app.jobs import JOBS
from app.jobs import runner as scheduler_service


@click.group("scheduler", cls=AppGroup)
def scheduler():
    """The job scheduler."""


@scheduler.command("run")
def run():
    """Run the scheduler; a second one stands by until the first stops."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    # stopped by the service manager (SIGTERM) or Ctrl-C: running jobs finish, the lock is
    # released and a standby takes over at its next beat
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    scheduler_service.run_forever(current_app._get_current_object(), JOBS, stop=stop)
