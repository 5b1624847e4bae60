"""`flask demo`: the demo data and the demo's mail catcher.

The demo's modules are imported by the commands, not here: they need the `demo` extra
(Faker, aiosmtpd), which an installation without the demo leaves out, and every `flask`
command loads this group."""

import importlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError


@click.group("demo", cls=AppGroup)
def demo():
    """Demo data."""


def _demo_module(name: str):
    try:
        return importlib.import_module(f"app.demo.{name}")
    except ModuleNotFoundError as exc:
        click.echo(f"error: the demo needs {exc.name}: pip install -e '.[demo]'", err=True)
        sys.exit(1)


@demo.command("seed")
@click.option("--customers", default=300, show_default=True, help="Customers across 3 regions.")
def seed(customers):
    """Seed three demo regions with customers, lines, rates, usage, bills and users
    (idempotent)."""
    demo_service = _demo_module("seed")
    started = time.perf_counter()
    with acting_as():
        try:
            result = demo_service.seed(customers=customers)
        except DomainError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
    elapsed = time.perf_counter() - started
    click.echo(
        f"demo: {result['customers_added']} customers and {result['usage_added']} usage "
        f"records added in {elapsed:.1f}s"
    )
    click.echo(f"demo logins (password: {result['password']}):")
    for username, roles, *_ in demo_service.STAFF:
        click.echo(f"  {username:<26} {', '.join(roles)} (admin UI, /login/)")
    for email in demo_service.PORTAL.values():
        click.echo(f"  {email:<26} Customer (self-service portal)")


@demo.command("mailcatcher")
@click.option("--port", default=8025, show_default=True, help="The SMTP port on 127.0.0.1.")
def mailcatcher(port):
    """A local SMTP server that keeps every message it is sent as a .eml file under
    instance/mail/, so the demo's bill emails are delivered (runs until stopped)."""
    catcher = _demo_module("mailcatcher")
    folder = Path(current_app.config["INSTANCE_DIR"]) / "mail"
    try:
        controller = catcher.start(folder, port, announce=click.echo)
    except OSError as exc:
        click.echo(f"error: cannot listen on {catcher.HOST}:{port}: {exc}", err=True)
        sys.exit(1)
    shown = os.path.relpath(folder) if folder.is_relative_to(Path.cwd()) else str(folder)
    click.echo(f"mail: SMTP on {catcher.HOST}:{port}; messages kept in {shown}/")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    try:
        while not stop.wait(1):
            pass
    finally:
        controller.stop()
