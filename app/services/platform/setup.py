"""`flask setup`: schema, permissions, roles, the system user and the default dunning policy;
safe to run again."""

from flask import current_app
from flask_migrate import upgrade

from app.extensions import appbuilder
from app.services.dunning import policies
from app.services.platform.users import ensure_system_user


def setup() -> None:
    upgrade(directory=str(current_app.config["PACKAGE_DIR"] / "migrations"))
    appbuilder.sm.ensure_roles()
    appbuilder.add_permissions(update_perms=True)
    appbuilder.sm.sync_roles()
    ensure_system_user()
    policies.ensure_default()
