import sys
import time

import click
from flask.cli import AppGroup

from app.demo import seed as demo_service
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError


@click.group("demo", cls=AppGroup)
def demo():
    """Demo data."""


@demo.command("seed")
@click.option("--customers", default=300, show_default=True, help="Customers across 3 regions.")
def seed(customers):
    """Seed three demo regions with customers, accounts, services and users (idempotent)."""
    started = time.perf_counter()
    with acting_as():
        try:
            result = demo_service.seed(customers=customers)
        except DomainError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
    elapsed = time.perf_counter() - started
    click.echo(f"demo: {result['customers_added']} customers added in {elapsed:.1f}s")
    click.echo(f"demo logins (password: {result['password']}):")
    for username, roles, *_ in demo_service.STAFF:
        click.echo(f"  {username:<26} {', '.join(roles)} (admin UI, /login/)")
    for email in demo_service.PORTAL.values():
        click.echo(f"  {email:<26} Customer (self-service portal)")
