"""The admin screens as staff use them: scoped lists, the 360° page, forms, languages."""

import pytest

from app.extensions import db
from app.models.audit import AuditLog
from app.models.crm import (
    BillingAccount,
    Customer,
    Service,
    ServiceProductChange,
    ServiceStatusChange,
)
from app.services.orders import lifecycle
from app.services.platform.actor import acting_as
from tests.helpers import add_catalog, import_rows


@pytest.fixture
def data(app, tmp_path):
    with app.app_context(), acting_as():
        import_rows(tmp_path)
        ids = dict(db.session.execute(db.select(Customer.ref, Customer.id)).all())
        db.session.remove()
    return ids


def test_lists_show_only_the_users_regions(data, login):
    page = login("csr").get("/customerview/list/").get_data(as_text=True)
    assert "Anna Neri" in page and "Gruppo Verdi" in page
    assert "김민준" not in page and "Иван Петров" not in page
    everything = login("supervisor").get("/customerview/list/").get_data(as_text=True)
    assert all(name in everything for name in ("Anna Neri", "김민준", "Иван Петров"))


@pytest.mark.parametrize("url", ["/accountview/list/", "/serviceview/list/"])
def test_account_and_service_lists_are_scoped_too(data, login, url):
    page = login("technician").get(url).get_data(as_text=True)  # technician: RU-MOW only
    assert ("RU1-A" in page or "79160000001" in page) and "IT1-A" not in page
    assert "393330000001" not in page


def test_other_regions_records_answer_404(data, login):
    csr = login("csr")
    assert csr.get(f"/customerview/show/{data['KR1']}").status_code == 404
    assert csr.get(f"/customerview/edit/{data['KR1']}").status_code == 404
    assert csr.get(f"/customerview/show/{data['IT1']}").status_code == 200
    token = csr.csrf("/customerview/add")
    deleted = csr.client.post(f"/customerview/delete/{data['KR1']}", data={"csrf_token": token})
    assert deleted.status_code == 404


def test_360_page_shows_accounts_services_hierarchy_and_history(data, login):
    page = login("csr").get(f"/customerview/show/{data['ITS']}").get_data(as_text=True)
    assert "Verdi Sud" in page and "ITS-A" in page and "393330000003" in page
    assert "Gruppo Verdi" in page  # the parent, in the hierarchy tree
    assert 'class="hierarchy"' in page
    assert "ITG-A" in page  # bill-to account
    assert "system" in page  # history: created by the import, as the system user


def test_360_page_offers_edit_only_with_the_write_permission(data, login):
    url = f"/customerview/show/{data['IT1']}"
    assert "/customerview/edit/" in login("csr").get(url).get_data(as_text=True)
    assert "/customerview/edit/" not in login("billing").get(url).get_data(as_text=True)


def test_services_export_from_the_ui_is_scoped(data, login):
    response = login("csr").get("/serviceview/export.csv")
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "service_id,account_ref,product_code,status,activated_on,terminated_on"
    assert {line.split(",")[0] for line in lines[1:]} == {
        "393330000001",
        "393330000002",
        "393330000003",
    }


def _customer_form(**fields):
    base = {"ref": "NEW1", "kind": "individual", "name": "Nuova Cliente", "region": "1"}
    base.update(fields)
    base["status"] = base.get("status", "prospect")
    return base


def test_add_customer_through_the_form_is_audited_with_the_user(data, login, app):
    csr = login("csr")
    region_id = _region_id(app, "IT-C")
    response = csr.submit(
        "/customerview/add",
        _customer_form(region=str(region_id), phone="06 1234 5678", parent_ref="ITG"),
        follow_redirects=True,
    )
    assert response.status_code == 200
    with app.app_context():
        customer = db.session.scalar(db.select(Customer).where(Customer.ref == "NEW1"))
        assert customer.parent.ref == "ITG"
        assert customer.phone == "+390612345678"
        entry = db.session.scalar(
            db.select(AuditLog).where(
                AuditLog.table_name == "customer", AuditLog.row_id == customer.id
            )
        )
        assert entry.username == "csr" and entry.action == "insert"
        assert entry.changes["name"] == "Nuova Cliente"


def _region_id(app, code):
    from app.models.crm import Region

    with app.app_context():
        return db.session.scalar(db.select(Region.id).where(Region.code == code))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"parent_ref": "IT1"}, "IT1 is not a company"),
        ({"parent_ref": "NOPE"}, "unknown reference &#39;NOPE&#39;"),
        ({"parent_ref": "KR1"}, "unknown reference &#39;KR1&#39;"),  # another region's
        ({"phone": "12"}, "&#39;12&#39; is not a phone number"),
        ({"parent_ref": "<b>x</b>"}, "&lt;b&gt;x&lt;/b&gt;"),  # typed text stays text
        ({"parent_ref": "50% x%(a)s"}, "unknown reference &#39;50% x%(a)s&#39;"),
        (
            {"document_type": "codice_fiscale", "document_number": "RSSMRA85T10A562X"},
            "not a valid codice_fiscale",
        ),
    ],
)
def test_rule_errors_show_on_the_field_and_keep_the_input(data, login, app, fields, message):
    region_id = _region_id(app, "IT-C")
    response = login("csr").submit(
        "/customerview/add", _customer_form(region=str(region_id), **fields)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    field = list(fields)[-1]
    # the reason stands in the form row of its field, and what was typed is still there
    row = page[page.index(f'id="{field}"') :]
    assert message in row[: row.index("</tr>")]
    assert 'value="Nuova Cliente"' in page
    with app.app_context():
        assert db.session.scalar(db.select(Customer).where(Customer.ref == "NEW1")) is None


def test_region_outside_the_users_scope_is_not_offered(data, login, app):
    kr = _region_id(app, "KR-SEL")
    page = login("csr").get("/customerview/add").get_data(as_text=True)
    assert f'value="{kr}"' not in page
    response = login("csr").submit(
        "/customerview/add", _customer_form(region=str(kr)), follow_redirects=True
    )
    text = response.get_data(as_text=True)
    assert "This field is required" in text  # FAB's wording for a choice not offered
    with app.app_context():
        assert db.session.scalar(db.select(Customer).where(Customer.ref == "NEW1")) is None


def test_required_fields_show_field_errors(data, login):
    response = login("csr").submit(
        "/customerview/add", {"kind": "individual", "status": "prospect"}
    )
    assert "This field is required" in response.get_data(as_text=True)


def test_account_form_resolves_references_and_checks_bill_to(data, login, app):
    csr = login("csr")
    response = csr.submit(
        "/accountview/add",
        {
            "ref": "IT1-B",
            "customer_ref": "IT1",
            "payment_mode": "postpaid",
            "currency": "EUR",
            "bill_day": "40",
            "delivery_channel": "email",
        },
        follow_redirects=True,
    )
    assert "40 is not between 1 and 28" in response.get_data(as_text=True)
    response = csr.submit(
        "/accountview/add",
        {
            "ref": "IT1-B",
            "customer_ref": "IT1",
            "payment_mode": "postpaid",
            "currency": "EUR",
            "bill_day": "12",
            "bill_to_ref": "ITG-A",
            "delivery_channel": "email",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    with app.app_context():
        account = db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "IT1-B"))
        assert account.customer.ref == "IT1" and account.bill_to.ref == "ITG-A"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("it", ["Clienti", "Conto di fatturazione"]),
        ("ko", ["고객", "청구 계정"]),
        ("ru", ["Клиенты", "Лицевой счёт"]),
    ],
)
def test_language_menu_switches_the_screens(data, login, language, words):
    csr = login("csr")
    csr.get(f"/lang/{language}")
    page = csr.get(f"/customerview/show/{data['IT1']}").get_data(as_text=True)
    menu = csr.get("/customerview/list/").get_data(as_text=True)
    assert words[0] in menu
    assert any(word in page for word in words[1:]) or words[0] in page


def test_rule_errors_speak_the_users_language(data, login):
    csr = login("csr")
    csr.get("/lang/it")
    response = csr.submit(
        "/accountview/add",
        {
            "ref": "IT1-C",
            "customer_ref": "IT1",
            "payment_mode": "postpaid",
            "currency": "EUR",
            "bill_day": "40",
            "delivery_channel": "email",
        },
    )
    assert "40 non è compreso tra 1 e 28" in response.get_data(as_text=True)


@pytest.mark.parametrize("vat", ["22.5", "0"])
def test_region_form_takes_decimal_vat_rates(login, app, vat):
    from decimal import Decimal

    from app.models.crm import Region

    response = login("supervisor").submit(
        "/regionview/add",
        {
            "code": "IT-S",
            "name": "Italia Sud",
            "country": "it",
            "timezone": "Europe/Rome",
            "currency": "eur",
            "vat_rate": vat,
            "language": "it",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    with app.app_context():
        region = db.session.scalar(db.select(Region).where(Region.code == "IT-S"))
        assert region.vat_rate == Decimal(vat) and region.currency == "EUR"
        assert region.country == "IT"


def test_credit_limit_in_the_currencys_minor_unit(data, login, app):
    csr = login("csr")
    form = {
        "ref": "IT1-L",
        "customer_ref": "IT1",
        "payment_mode": "postpaid",
        "currency": "EUR",
        "bill_day": "3",
        "delivery_channel": "email",
    }
    page = csr.submit("/accountview/add", {**form, "credit_limit": "10.123"})
    assert "10.123 has more decimals than EUR allows" in page.get_data(as_text=True)
    assert csr.submit("/accountview/add", {**form, "credit_limit": "250.50"}).status_code == 302
    with app.app_context():
        account = db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "IT1-L"))
        assert str(account.credit_limit) == "250.5000"


def test_a_lines_page_shows_its_status_history(data, login, app):
    from app.models.crm import Service
    from app.services.orders import lifecycle

    with app.app_context(), acting_as():
        service = db.session.scalar(db.select(Service).where(Service.service_id == "393330000001"))
        lifecycle.change_status(service, "suspended", reason="customer asked")
        db.session.commit()
        service_id = service.id
    page = login("csr").get(f"/serviceview/show/{service_id}").get_data(as_text=True)
    assert "customer asked" in page and "Suspended" in page


def test_supervisors_give_a_region_its_legal_entity_on_the_regions_screen(login, app):
    from app.models.crm import Region

    supervisor = login("supervisor")
    region = {
        "code": "RU-SPE",
        "name": "Санкт-Петербург",
        "country": "ru",
        "timezone": "Europe/Moscow",
        "currency": "rub",
        "vat_rate": "20",
        "language": "ru",
    }
    # left blank, the legal entity starts from the settings' (OPERATOR_*)
    assert supervisor.submit("/regionview/add", region).status_code == 302
    with app.app_context():
        added = db.session.scalar(db.select(Region).where(Region.code == "RU-SPE"))
        assert (added.legal_name, added.legal_tax_label) == ("Abonent Telecom", "Partita IVA")
        assert added.legal_address == "Via dell'Esempio 1\n00100 Roma RM, Italia"
        region_id = added.id
    entity = {
        "legal_name": "ООО «Абонент Северо-Запад»",
        "legal_address": "Невский пр., д. 1\r\n\r\n191186, г. Санкт-Петербург ",
        "legal_tax_label": "ИНН/КПП",
        "legal_tax_number": "7801234567/780101001",
        "legal_bank_account": "р/с 40702810955000012345, БИК 044030653",
    }
    edit = f"/regionview/edit/{region_id}"
    refused = supervisor.submit(edit, {**region, **entity, "legal_tax_number": "7801\n234567"})
    assert "one line of text" in refused.get_data(as_text=True)
    assert supervisor.submit(edit, {**region, **entity}).status_code == 302
    with app.app_context():
        edited = db.session.get(Region, region_id)
        assert edited.legal_name == "ООО «Абонент Северо-Запад»"
        assert edited.legal_address == "Невский пр., д. 1\n191186, г. Санкт-Петербург"
        assert (edited.legal_tax_label, edited.legal_tax_number) == (
            "ИНН/КПП",
            "7801234567/780101001",
        )
    shown = supervisor.get(f"/regionview/show/{region_id}").get_data(as_text=True)
    assert "7801234567/780101001" in shown and "БИК 044030653" in shown
    bank = {
        "bank_name": "ПАО Сбербанк",
        "bank_account": "40702810955000012345",
        "bank_code": "044030653",
        "bank_correspondent": "30101810500000000653",
    }
    refused = supervisor.submit(edit, {**region, **entity, **bank, "bank_code": "04403065"})
    assert "9 digits" in refused.get_data(as_text=True)
    refused = supervisor.submit(edit, {**region, **entity, **bank, "bank_iban": "RU00"})
    assert "is not a valid IBAN" in refused.get_data(as_text=True)
    assert supervisor.submit(edit, {**region, **entity, **bank}).status_code == 302
    with app.app_context():
        edited = db.session.get(Region, region_id)
        assert (edited.bank_account, edited.bank_code) == ("40702810955000012345", "044030653")
    # a CSR reads regions but does not edit them
    assert login("csr").get(edit).status_code in (302, 403)


def test_the_account_form_refuses_a_mode_its_lines_are_not_of(data, login, app, tmp_path):
    with app.app_context(), acting_as():
        add_catalog(tmp_path)
        account = db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "IT1-A"))
        account_id = account.id
    csr = login("csr")
    response = csr.submit(
        f"/accountview/edit/{account_id}",
        {
            "ref": "IT1-A",
            "customer_ref": "IT1",
            "payment_mode": "prepaid",
            "currency": "EUR",
            "bill_day": "5",
            "delivery_channel": "email",
        },
        follow_redirects=True,
    )
    assert "IT1-A has postpaid lines: 393330000001" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(BillingAccount, account_id).payment_mode == "postpaid"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ref": " NEW1"}, "&#39; NEW1&#39; begins or ends with a space"),
        ({"email": "anna@.example.it"}, "&#39;anna@.example.it&#39; is not an email address"),
    ],
)
def test_a_forms_reference_and_email_are_checked_under_their_field(
    data, login, app, fields, message
):
    response = login("csr").submit(
        "/customerview/add", _customer_form(region=str(_region_id(app, "IT-C")), **fields)
    )
    page = response.get_data(as_text=True)
    row = page[page.index(f'id="{list(fields)[0]}"') :]
    assert message in row[: row.index("</tr>")]


def test_a_negative_credit_limit_is_refused_on_the_form(data, login):
    form = {
        "ref": "IT1-N",
        "customer_ref": "IT1",
        "payment_mode": "postpaid",
        "currency": "EUR",
        "bill_day": "3",
        "delivery_channel": "email",
        "credit_limit": "-1",
    }
    page = login("csr").submit("/accountview/add", form).get_data(as_text=True)
    row = page[page.index('id="credit_limit"') :]
    assert "0 or more" in row[: row.index("</tr>")]


def _history(app, tmp_path) -> dict[str, tuple[int, int]]:
    """Each line suspended and moved to another product: number -> (status, product) change."""
    with app.app_context(), acting_as():
        import_rows(tmp_path)
        changes = {}
        for line in db.session.scalars(db.select(Service)):
            lifecycle.change_status(line, "suspended", reason=f"why {line.service_id}")
            lifecycle.change_product(line, "OTHER", reason=f"move {line.service_id}")
            db.session.flush()
            status = db.session.scalar(
                db.select(ServiceStatusChange.id).filter_by(service_id=line.id)
            )
            product = db.session.scalar(
                db.select(ServiceProductChange.id).filter_by(service_id=line.id)
            )
            changes[line.service_id] = (status, product)
        db.session.commit()
        return changes


def test_a_lines_history_is_seen_only_in_the_users_regions(app, login, tmp_path):
    changes = _history(app, tmp_path)
    italian, korean = changes["393330000001"], changes["821012340001"]
    csr = login("csr")  # IT-C
    for url in ("/servicestatuschangeview/list/", "/serviceproductchangeview/list/"):
        page = csr.get(url).get_data(as_text=True)
        assert "why 393330000001" in page or "move 393330000001" in page
        assert "821012340001" not in page  # neither in the rows nor in a filter drop-down
    assert csr.get(f"/servicestatuschangeview/show/{italian[0]}").status_code == 200
    assert csr.get(f"/servicestatuschangeview/show/{korean[0]}").status_code == 404
    assert csr.get(f"/serviceproductchangeview/show/{korean[1]}").status_code == 404


def test_a_lines_history_cannot_be_edited_even_by_an_admin(app, login, tmp_path):
    status, product = _history(app, tmp_path)["393330000001"]
    admin = login("admin")
    for url in (
        f"/servicestatuschangeview/edit/{status}",
        f"/servicestatuschangeview/delete/{status}",
        "/servicestatuschangeview/add",
        f"/serviceproductchangeview/edit/{product}",
    ):
        assert admin.get(url).status_code == 404, url
