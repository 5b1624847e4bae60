"""The portal's bills and payments (docs/portal.md, "Bills"): the bill list and a bill's
page, its PDF, paying it online and the payment's outcome, the payment history, a
statement of account, and asking for accounts to be billed together. The rules live in
app/services/portal/bills.py and consolidation.py."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from app.services.billing import pdf
from app.services.platform.errors import DomainError, NotFound
from app.services.portal import access
from app.services.portal import bills as service
from app.services.portal import consolidation as consolidation_service
from app.views.portal import menu_entry, portal

menu_entry(10, "portal.invoices", _l("Bills"))
menu_entry(20, "portal.payments", _l("Payments"))
# a statement covers the last three months unless the customer says otherwise
STATEMENT_DAYS = 90
# billing periods are half-open: a bill shows the day before its period's end as its last
ONE_DAY = timedelta(days=1)


def _found(find, *args):
    """A record of the user's, or 404: another customer's is as unknown as none."""
    try:
        return find(g.customer_user, *args)
    except NotFound:
        abort(404)


@portal.get("/invoices")
def invoices():
    account_id = request.args.get("account_id", "")
    page = _found(service.bills, account_id, service.page_number(request.args.get("page")))
    return render_template(
        "portal/bills_list.html",
        page=page,
        accounts=access.accounts(g.customer_user),
        account_id=account_id,
        payable=service.is_payable,
        one_day=ONE_DAY,
    )


@portal.get("/invoices/<number>")
def invoice(number):
    return render_template(
        "portal/bills_invoice.html", bill=_found(service.bill, number), one_day=ONE_DAY
    )


@portal.get("/invoices/<number>.pdf")
def invoice_pdf(number):
    try:
        found, content = service.pdf_content(g.customer_user, number)
    except NotFound:
        abort(404)
    except pdf.DocumentFault:
        # never hand out a document that is not the one the customer was sent
        flash(_l("The bill's PDF cannot be downloaded right now. Please contact us."), "error")
        return redirect(url_for("portal.invoice", number=number))
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{found.number}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@portal.post("/invoices/<number>/pay")
def invoice_pay(number):
    try:
        session = service.pay(g.customer_user, number)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("portal.invoice", number=number))
    return redirect(session.checkout_url)


@portal.get("/payments/result/<token>")
def payment_result(token):
    return render_template(
        "portal/bills_result.html", session=_found(service.checkout_session, token)
    )


@portal.get("/payments")
def payments():
    return _payments_page()


def _payments_page(errors: dict | None = None, status: int = 200):
    today = date.today()
    form = {
        "account_id": request.args.get("account_id", ""),
        "from": request.args.get("from") or (today - timedelta(days=STATEMENT_DAYS)).isoformat(),
        "to": request.args.get("to") or today.isoformat(),
    }
    page = service.payments(g.customer_user, service.page_number(request.args.get("page")))
    return render_template(
        "portal/bills_payments.html",
        page=page,
        accounts=access.accounts(g.customer_user),
        form=form,
        errors=errors or {},
    ), status


@portal.get("/statement")
def statement():
    args = request.args
    try:
        account, content = service.statement_pdf(
            g.customer_user, args.get("account_id"), args.get("from", ""), args.get("to", "")
        )
    except NotFound:
        abort(404)
    except DomainError as exc:
        return _payments_page({exc.field: exc.reason}, 422)
    filename = f"statement-{account.ref}-{args.get('from')}-{args.get('to')}.pdf"
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@portal.route("/consolidation", methods=["GET", "POST"])
def consolidation():
    errors, chosen = {}, {"payer": "", "accounts": []}
    if request.method == "POST":
        chosen = {
            "payer": request.form.get("payer", ""),
            "accounts": request.form.getlist("accounts"),
        }
        try:
            order = _found(consolidation_service.ask, chosen["payer"], chosen["accounts"])
        except DomainError as exc:
            errors = {exc.field: exc.reason}
        else:
            flash(_l("Request %(ref)s sent: we will let you know here once it is decided.",
                     ref=order.ref), "success")  # fmt: skip
            return redirect(url_for("portal.consolidation"))
    page = render_template(
        "portal/bills_consolidation.html",
        candidates=consolidation_service.candidates(g.customer_user),
        requests=consolidation_service.requests(g.customer_user),
        errors=errors,
        chosen=chosen,
    )
    return page, 422 if errors else 200
