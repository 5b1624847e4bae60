"""Which importer handles which kind and format of file."""

import inspect

from flask_babel import lazy_gettext as _l

from app.services.catalog import catalog, rates
from app.services.crm import customer_import, regions
from app.services.platform.csv_import import ImportSummary
from app.services.platform.errors import ImportFileError
from app.services.usage import usage_import

IMPORTERS = {
    "regions": {"csv": regions.import_regions},
    "customers": {"csv": customer_import.import_customers},
    "products": {"csv": catalog.import_products},
    "rates": {"csv": rates.import_rates},
    "cdrs": {"csv": usage_import.import_csv, "asterisk": usage_import.import_asterisk},
}


def run(kind: str, path, fmt: str = "csv", progress=None) -> ImportSummary:
    """Import `path`; `progress(bytes read)` is called as the file is read, by the importers
    that stream (the others read the file at once)."""
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
    if progress is not None and "progress" in inspect.signature(importer).parameters:
        return importer(path, progress=progress)
    return importer(path)
