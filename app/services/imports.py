"""Which importer handles which kind and format of file."""

from app.services import customers, regions
from app.services.csv_import import ImportSummary
from app.services.errors import ImportFileError

IMPORTERS = {
    "regions": {"csv": regions.import_regions},
    "customers": {"csv": customers.import_customers},
}


def run(kind: str, path, fmt: str = "csv") -> ImportSummary:
    formats = IMPORTERS.get(kind)
    if formats is None:
        raise ImportFileError(f"unknown import kind {kind!r}")
    importer = formats.get(fmt)
    if importer is None:
        raise ImportFileError(f"{kind}: unknown format {fmt!r} (known: {', '.join(formats)})")
    return importer(path)
