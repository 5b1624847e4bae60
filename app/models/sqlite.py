"""SQLite: compile ILIKE as plain LIKE, so that the NOCASE search indexes are used.

SQLite's LIKE already ignores case, for ASCII letters only, and its lower() folds the
same ASCII letters only: `lower(x) LIKE lower(y)`, SQLAlchemy's default rendering, gives
the same rows as `x LIKE y`, but only the latter lets SQLite search an index.
"""

from sqlalchemy.dialects.sqlite.base import SQLiteCompiler


def _like(self, binary, operator, **kw):
    return self.visit_like_op_binary(binary, operator, **kw)


def _not_like(self, binary, operator, **kw):
    return self.visit_not_like_op_binary(binary, operator, **kw)


SQLiteCompiler.visit_ilike_op_binary = _like
SQLiteCompiler.visit_not_ilike_op_binary = _not_like
