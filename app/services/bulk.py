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
