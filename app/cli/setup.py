import click

from app.services.actor import acting_as
from app.services.setup import setup


@click.command("setup")
def setup_command():
    """Create or upgrade the schema, roles, permissions and the system user."""
    with acting_as():
        setup()
    click.echo("setup complete")
