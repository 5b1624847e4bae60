"""Extension singletons, bound to the app in create_app()."""

from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

db = get_sqla_class()()
appbuilder = AppBuilder()
migrate = Migrate()
csrf = CSRFProtect()


def _drop_unused_aggregates_listener() -> None:
    """FAB imports sqlalchemy-utils, whose `aggregated` attributes (unused here) listen to
    every session flush and walk every object the session holds: a cost growing with the
    session on each flush (a dunning run of 500 cases spent most of its time there)."""
    import sqlalchemy as sa
    from sqlalchemy_utils.aggregates import aggregated_attrs, manager

    if not aggregated_attrs and sa.event.contains(
        sa.orm.session.Session, "after_flush", manager.construct_aggregate_queries
    ):
        sa.event.remove(sa.orm.session.Session, "after_flush", manager.construct_aggregate_queries)


_drop_unused_aggregates_listener()
