"""CSV written a line at a time, so a large file streams to a web response or a file."""

import csv
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet may run such a cell


class _Line:
    def write(self, text: str) -> str:
        return text


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula is kept as text."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_lines(columns, rows: Iterable, for_spreadsheet: bool = False) -> Iterator[str]:
    """The header, then each row, as CSV text lines. Files made for people's spreadsheets
    keep formula-like cells as text; a file for machines is exact."""
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow(columns)
    for row in rows:
        if for_spreadsheet:
            row = [spreadsheet_safe(str(v)) for v in row]
        yield writer.writerow(row)
