"""Which importer handles which kind and format of file."""

from flask_babel import lazy_gettext as _l

from app.services import catalog, customer_import, regions
from app.services.csv_import import ImportSummary
from app.services.errors import ImportFileError

IMPORTERS = {
    "regions": {"csv": regions.import_regions},
    "customers": {"csv": customer_import.import_customers},
    "products": {"csv": catalog.import_products},
}


def run(kind: str, path, fmt: str = "csv") -> ImportSummary:
    formats = IMPORTERS.get(kind)
    if formats is None:
        raise ImportFileError(None, _l("unknown import kind %(kind)s", kind=repr(kind)))
    importer = formats.get(fmt)
    if importer is None:
        raise ImportFileError(
            kind,
            _l(
                "unknown format %(format)s (known: %(known)s)",
                format=repr(fmt),
                known=", ".join(formats),
            ),
        )
    return importer(path)
