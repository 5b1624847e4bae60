"""The services export: the contract's exact file, and a spreadsheet-safe download."""

from app.services import exports
from tests.helpers import import_rows


def test_contract_file_is_exact_and_download_keeps_formulas_as_text(ctx, tmp_path):
    import_rows(
        tmp_path,
        "C1,individual,X,,IT-C,it,=HYPERLINK(1),postpaid,EUR,5,,-SMART,393330000001,2026-01-01\n",
    )
    contract = list(exports.csv_lines("services", None))
    assert contract[1] == "393330000001,=HYPERLINK(1),-SMART,active,2026-01-01,\n"
    download = list(exports.csv_lines("services", None, for_spreadsheet=True))
    assert download[1] == "393330000001,'=HYPERLINK(1),'-SMART,active,2026-01-01,\n"
