"""Which importer handles which kind and format of file."""

import inspect

from flask_babel import lazy_gettext as _l

from app.services.catalog import products, rate_import
from app.services.crm import customer_import, regions
from app.services.platform.errors import ImportFileError
from app.services.platform.import_frame import ImportSummary
from app.services.reconciliation import statements
from app.services.usage import intake

IMPORTERS = {
    "regions": {"csv": regions.import_regions},
    "customers": {"csv": customer_import.import_customers},
    "products": {"csv": products.import_products},
    "rates": {"csv": rate_import.import_rates},
    "cdrs": {"csv": intake.import_csv, "asterisk": intake.import_asterisk},
    "statement": {"csv": statements.import_csv, "camt053": statements.import_camt053},
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
