"""Writing many rows fast, on both engines: COPY on PostgreSQL, one executemany on SQLite.

Values are plain: ints, strings, None. Dates and timestamps go through `sql_date` and
`sql_timestamp`, which give each engine the text SQLAlchemy itself would have stored.
"""

from datetime import UTC, date, datetime

from sqlalchemy import String, any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

from app.extensions import db


def id_list(values) -> str:
    """Integer ids for an `IN (...)` (NULL for none: `IN (NULL)` matches nothing)."""
    return ", ".join(str(int(v)) for v in values) or "NULL"


def among(column, values):
    """`column IN (values)` for thousands of values: a list of as many bound parameters
    costs more to render and send than the query takes. PostgreSQL takes them as one array
    (`= ANY`); SQLite, which has no arrays, with the values written into the statement."""
    values = list(values)
    if is_postgresql():
        # an expression of no known type (a function's result) compares as text
        item = String() if isinstance(column.type, NullType) else column.type
        return column == any_(bindparam(None, values, type_=ARRAY(item)))
    return column.in_(bindparam(None, values, expanding=True, literal_execute=True))


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def sql_date(day: date) -> str:
    return day.isoformat()


def sql_timestamp(moment: datetime, postgresql: bool | None = None) -> str:
    """A UTC timestamp as SQLAlchemy stores it (naive UTC text on SQLite); `postgresql`
    says which engine, where there is no session to ask (a worker thread)."""
    moment = moment.astimezone(UTC)
    if is_postgresql() if postgresql is None else postgresql:
        return moment.isoformat(sep=" ")
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class Raw:
    """A driver connection, `?` marking parameters on both engines: for the hot paths that
    read or write hundreds of thousands of rows without SQLAlchemy's per-row work."""

    def __init__(self, driver, postgresql: bool):
        self.driver = driver
        self.postgresql = postgresql

    @classmethod
    def of_session(cls) -> "Raw":
        """The session's connection, in its transaction."""
        return cls(db.session.connection().connection.driver_connection, is_postgresql())

    def usable(self) -> bool:
        """False in a PostgreSQL transaction that a failed statement aborted."""
        if not self.postgresql:
            return True
        from psycopg.pq import TransactionStatus

        return self.driver.info.transaction_status != TransactionStatus.INERROR

    def analyze(self, *tables: str) -> None:
        """Refresh PostgreSQL's statistics of tables a bulk job has just filled or grown,
        so that the next statements are planned for their real size (autovacuum would do
        it later, and never for a temporary table)."""
        if self.postgresql:
            self.execute(f"ANALYZE {', '.join(tables)}")

    def _run(self, cursor, sql: str, params: tuple) -> None:
        if not self.postgresql:
            cursor.execute(sql, params)
        elif params:
            cursor.execute(sql.replace("%", "%%").replace("?", "%s"), params)
        else:
            cursor.execute(sql)

    def execute(self, sql: str, params: tuple = ()) -> int:
        """Run a statement; its row count."""
        cursor = self.driver.cursor()
        try:
            self._run(cursor, sql, params)
            return cursor.rowcount
        finally:
            cursor.close()

    def fetch(self, sql: str, params: tuple = ()) -> list[tuple]:
        cursor = self.driver.cursor()
        try:
            self._run(cursor, sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()

    def insert_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if self.postgresql:
            with (
                self.driver.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            self.driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows in the session's transaction (PostgreSQL: COPY; SQLite: executemany)."""
    Raw.of_session().insert_rows(table, columns, rows)


def execute(sql: str, params: tuple = ()) -> int:
    """A statement with `?` parameters, straight to the driver, in the session's transaction."""
    return Raw.of_session().execute(sql, params)


def fetch(sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a query as plain tuples, straight from the driver (`?` marks parameters)."""
    return Raw.of_session().fetch(sql, params)


def analyze(*tables: str) -> None:
    """`Raw.analyze` on the session's connection, committed."""
    if is_postgresql():
        Raw.of_session().analyze(*tables)
        db.session.commit()


class SqliteTuning:
    """SQLite, during a bulk job: a bigger page cache for the large tables' indexes and
    fewer checkpoints (each copies the pages a chunk changed from the WAL into the
    database). Applied to each driver connection the job meets (a commit may hand back
    another); `restore` gives them their own settings back."""

    PRAGMAS = {"cache_size": -65_536, "wal_autocheckpoint": 10_000}

    def __init__(self):
        self.tuned: dict[object, dict[str, int]] = {}

    def apply(self, driver) -> None:
        if driver in self.tuned or type(driver).__module__ != "sqlite3":
            return
        self.tuned[driver] = {
            name: driver.execute(f"PRAGMA {name}").fetchone()[0] for name in self.PRAGMAS
        }
        for name, value in self.PRAGMAS.items():
            driver.execute(f"PRAGMA {name} = {int(value)}")

    def restore(self) -> None:
        for driver, settings in self.tuned.items():
            for name, value in settings.items():
                driver.execute(f"PRAGMA {name} = {int(value)}")
        self.tuned.clear()


def insert_dicts(table, rows: list[dict], returning_ids: bool = False) -> list[int]:
    """Rows of Python values (as the ORM takes them; every row the same keys, every
    NOT NULL column given) inserted set-based in the session's transaction; the new ids,
    in the rows' order, when asked. PostgreSQL: by COPY, the ids drawn from the table's
    sequence first (a multi-row INSERT … RETURNING of thousands of rows costs more to
    build and parse than to run). SQLite: an INSERT … RETURNING of the rows."""
    if not rows:
        return []
    if not is_postgresql():
        statement = insert(table)
        if not returning_ids:
            db.session.execute(statement, rows)
            return []
        returning = statement.returning(table.c.id, sort_by_parameter_order=True)
        return list(db.session.scalars(returning, rows))
    ids = []
    if returning_ids:
        ids = [
            row[0]
            for row in fetch(
                f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                "FROM generate_series(1, ?)",
                (len(rows),),
            )
        ]
        rows = [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)]
    columns = tuple(rows[0])
    dialect = db.session.get_bind().dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    insert_rows(
        table.name,
        columns,
        [
            tuple(
                row[name] if process is None or row[name] is None else process(row[name])
                for name, process in zip(columns, processors, strict=True)
            )
            for row in rows
        ],
    )
    return ids
