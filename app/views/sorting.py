"""Sorting a list by a related record's column (Orders → Account, Provisioning → Number).

FAB joins the related table for such a sort unless it finds the table already in the
query, and it looks for it everywhere, subqueries of the WHERE clause included. The region
scope (app/services/platform/scoping.py) is such a subquery over accounts and lines: FAB skipped
the join and sorted by a table the query does not select from, a database error for every
region-scoped user. `install()` makes it look at what the query selects from and joins.
"""

from functools import cache

from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.sql.selectable import Join


@cache
def install() -> None:
    """Once per process; raises RuntimeError when FAB no longer decides that way."""
    if not isinstance(SQLAInterface.__dict__.get("is_model_already_joined"), staticmethod):
        raise RuntimeError("FAB's SQLAInterface.is_model_already_joined is gone: check sorting")
    SQLAInterface.is_model_already_joined = staticmethod(joined)


def joined(query, model) -> bool:
    """Whether the query selects from or joins the model's table (aliased or not)."""
    name = model.__table__.fullname
    return any(
        getattr(getattr(table, "element", table), "fullname", None) == name
        for source in query.statement.get_final_froms()
        for table in _tables(source)
    )


def _tables(source):
    if isinstance(source, Join):
        yield from _tables(source.left)
        yield from _tables(source.right)
    else:
        yield source
