"""Discount screens: Billing staff maintain the discounts accounts can be given."""


def test_discount_form_errors_sit_on_their_field(login):
    billing = login("billing")
    response = billing.submit(
        "/discountview/add",
        {
            "code": "WELCOME",
            "name": "Welcome",
            "kind": "percentage",
            "value": "150",
            "applies_to": "recurring",
        },
    )
    page = response.get_data(as_text=True)
    row = page[page.index('id="value"') :]
    assert "a percentage is at most 100" in row[: row.index("</tr>")]


def test_a_discount_is_listed_with_its_kind_and_target_by_their_labels(login):
    billing = login("billing")
    added = billing.submit(
        "/discountview/add",
        {
            "code": "LOYAL",
            "name": "Loyalty",
            "kind": "fixed",
            "value": "5",
            "currency": "EUR",
            "applies_to": "usage",
            "cycles": "",
        },
    )
    assert added.status_code == 302
    billing.get("/lang/it")
    page = billing.get("/discountview/list/").get_data(as_text=True)
    row = page[page.index("LOYAL") :]
    row = row[: row.index("</tr>")]
    assert "Importo fisso" in row and "Traffico" in row
