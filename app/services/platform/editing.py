"""Records edited on a form or through the API are checked by a service rule before FAB
saves them. The rule runs without autoflush (the record is half set up while it runs), and
a refused edit is rolled back at once, so no later flush can write what was refused."""

import functools

from app.extensions import db
from app.services.platform.errors import DomainError


def edit_rule(rule):
    @functools.wraps(rule)
    def wrapper(*args, **kwargs):
        try:
            with db.session.no_autoflush:
                return rule(*args, **kwargs)
        except DomainError:
            db.session.rollback()
            raise

    return wrapper
