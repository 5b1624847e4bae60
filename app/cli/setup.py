import click
from flask.cli import with_appcontext

from app.services.platform.actor import acting_as
from app.services.platform.setup import setup


@click.command("setup")
@with_appcontext
def setup_command():
    """Create or upgrade the schema, roles, permissions and the system user."""
    with acting_as():
        setup()
    click.echo("setup complete")
