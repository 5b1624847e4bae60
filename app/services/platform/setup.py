"""`flask setup`: schema, permissions, roles, the system user, and what each domain needs
to start with (the default dunning policy); safe to run again.

A domain adds its part with `on_setup` when it is imported (the app imports every domain
as it is created), since the platform knows no domain.
"""

from collections.abc import Callable

from flask import current_app
from flask_migrate import upgrade

from app.extensions import appbuilder
from app.services.platform.users import ensure_system_user

_SEEDS: list[Callable[[], object]] = []


def on_setup(seed: Callable[[], object]) -> Callable[[], object]:
    """Run `seed` at the end of every setup (it must be safe to run again)."""
    if seed not in _SEEDS:
        _SEEDS.append(seed)
    return seed


def setup() -> None:
    upgrade(directory=str(current_app.config["PACKAGE_DIR"] / "migrations"))
    appbuilder.sm.ensure_roles()
    appbuilder.add_permissions(update_perms=True)
    appbuilder.sm.sync_roles()
    ensure_system_user()
    for seed in _SEEDS:
        seed()
