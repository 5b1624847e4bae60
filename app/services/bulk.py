"""Writing many rows fast, on both engines: COPY on PostgreSQL, one executemany on SQLite.

Values are plain: ints, strings, None. Dates and timestamps go through `sql_date` and
`sql_timestamp`, which give each engine the text SQLAlchemy itself would have stored.
"""

from datetime import UTC, date, datetime

from app.extensions import db


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def sql_date(day: date) -> str:
    return day.isoformat()


def sql_timestamp(moment: datetime) -> str:
    """A UTC timestamp as SQLAlchemy stores it (naive UTC text on SQLite)."""
    moment = moment.astimezone(UTC)
    if is_postgresql():
        return moment.isoformat(sep=" ")
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows in the session's transaction."""
    if not rows:
        return
    connection = db.session.connection().connection.driver_connection
    names = ", ".join(columns)
    if is_postgresql():
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def execute(sql: str, params: tuple = ()) -> None:
    """A statement with `?` parameters, straight to the driver, in the session's transaction."""
    connection = db.session.connection().connection.driver_connection
    if is_postgresql():
        sql = sql.replace("?", "%s")
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
    finally:
        cursor.close()


def fetch(sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a query as plain tuples, straight from the driver (`?` marks parameters):
    for the hot paths that read hundreds of thousands of rows."""
    connection = db.session.connection().connection.driver_connection
    if is_postgresql():
        sql = sql.replace("?", "%s")
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


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
