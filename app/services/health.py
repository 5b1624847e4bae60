"""Is the application able to serve: the database answers a query."""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db


def check() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        return False, type(exc).__name__
    return True, "reachable"
