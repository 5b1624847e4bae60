"""The services export: the contract's exact file, and a spreadsheet-safe download."""

from app.services.dataio import exports
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


def test_the_invoices_export_is_a_json_list_with_string_amounts(ctx, tmp_path):
    import json
    from datetime import date

    from app.services.billing import runs
    from tests.services.billing.test_runs import _samples

    _samples()
    runs.run(date(2026, 2, 5))
    runs.run(date(2026, 3, 5))
    path = tmp_path / "invoices.json"
    with open(path, "w", encoding="utf-8") as out:
        assert exports.write_export("invoices", out, None) == 2
    first, second = json.loads(path.read_text(encoding="utf-8"))
    assert first == {
        "number": "IT-C-2026-000001",
        "account_ref": "AC1",
        "customer_ref": "CU1",
        "period_start": "2026-01-05",
        "period_end": "2026-02-05",
        "bill_every": 1,
        "issue_date": "2026-02-05",
        "due_date": "2026-02-20",
        "currency": "EUR",
        "status": "issued",
        "subtotal": "5.10",
        "tax": "1.12",
        "total": "6.22",
        "balance_due": "6.22",
        "lines": [
            {"kind": "recurring", "service_id": "393331234567",
             "description": first["lines"][0]["description"], "quantity": "16", "amount": "3.10",
             "period_start": "2026-01-05", "period_end": "2026-02-05"},
            {"kind": "activation", "service_id": "393331234567",
             "description": first["lines"][1]["description"], "quantity": "1", "amount": "2.00",
             "period_start": None, "period_end": None},
        ],
    }  # fmt: skip
    assert (second["total"], [line["kind"] for line in second["lines"]]) == (
        "15.27", ["recurring", "usage", "usage", "usage"])  # fmt: skip
    with open(path, "w", encoding="utf-8") as out:
        assert exports.write_export("invoices", out, [999]) == 0
    assert json.loads(path.read_text(encoding="utf-8")) == []


def test_an_invoice_of_several_months_names_them_in_the_export(app, ctx, tmp_path):
    """`flask data export invoices`: the months the bill covers, and each fee's month."""
    import json
    from datetime import date

    from app.services.billing import runs
    from tests.services.billing.test_bill_frequency import _setup

    _setup(
        tmp_path,
        "CU1,individual,Anna Neri,,IT-C,it,AC1,postpaid,EUR,1,,SMART,393331234567,2026-01-20,3\n",
    )
    runs.run(date(2026, 4, 1))
    out = tmp_path / "invoices.json"
    result = app.test_cli_runner().invoke(args=["data", "export", "invoices", str(out)])
    assert result.exit_code == 0, result.output
    (record,) = json.loads(out.read_text(encoding="utf-8"))
    assert (record["period_start"], record["period_end"], record["bill_every"]) == (
        "2026-01-01", "2026-04-01", 3)  # fmt: skip
    assert [(line["kind"], line["period_start"], line["period_end"], line["quantity"],
             line["amount"]) for line in record["lines"]] == [
        ("recurring", "2026-01-01", "2026-02-01", "12", "2.32"),
        ("recurring", "2026-02-01", "2026-03-01", "28", "6.00"),
        ("recurring", "2026-03-01", "2026-04-01", "31", "6.00"),
        ("activation", None, None, "1", "2.00"),
    ]  # fmt: skip


def test_a_void_invoice_is_exported_with_nothing_due(ctx):
    from datetime import date

    from app.services.billing import invoices, runs
    from tests.services.billing.test_runs import _invoice, _samples

    _samples()
    runs.run(date(2026, 3, 5))
    invoice = _invoice("AC1", date(2026, 2, 5))
    invoices.void(invoice, "billed in error")
    (record,) = [r for r in exports.invoice_records(None) if r["number"] == invoice.number]
    assert (record["status"], record["total"], record["balance_due"]) == ("void", "15.27", "0.00")


def test_download_keeps_cells_starting_with_tab_or_carriage_return_as_text(ctx, tmp_path):
    from app.extensions import db
    from app.models.crm import BillingAccount, Service

    import_rows(
        tmp_path,
        "C1,individual,X,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000001,2026-01-01\n",
    )
    # stored before references refused them (a tab, a carriage return)
    db.session.execute(db.update(Service).values(product_code="\t=SUM(1)"))
    db.session.execute(db.update(BillingAccount).values(ref="\r@A1"))
    db.session.commit()
    download = list(exports.csv_lines("services", None, for_spreadsheet=True))
    assert download[1] == "393330000001,'\r@A1,'\t=SUM(1),active,2026-01-01,\n"
