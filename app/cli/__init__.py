"""`flask` command groups; each command parses its input and calls one service."""


def register(app) -> None:
    from app.cli.billing import billing
    from app.cli.data import data
    from app.cli.debit import debit
    from app.cli.demo import demo
    from app.cli.dunning import dunning
    from app.cli.provisioning import provisioning
    from app.cli.scheduler import scheduler
    from app.cli.setup import setup_command
    from app.cli.usage import usage

    app.cli.add_command(setup_command)
    app.cli.add_command(demo)
    app.cli.add_command(data)
    app.cli.add_command(scheduler)
    app.cli.add_command(provisioning)
    app.cli.add_command(usage)
    app.cli.add_command(billing)
    app.cli.add_command(debit)
    app.cli.add_command(dunning)
