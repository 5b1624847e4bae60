"""The portal's prepaid pages: the customer's prepaid accounts, one account's balance and its
history, a voucher redeemed and a card top-up started (the rules in
app/services/portal/prepaid.py and the domains it calls)."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from app.services.platform.errors import DomainError, NotFound
from app.services.platform.money import format_money
from app.services.portal import prepaid as prepaid_service
from app.views.portal import menu_entry, portal

menu_entry(40, "portal.prepaid", _l("Top up"))


def _account(account_id):
    try:
        return prepaid_service.account(g.customer_user, account_id)
    except NotFound:
        abort(404)


def _before():
    try:
        return int(request.args.get("before", "")) or None
    except ValueError:
        return None


@portal.get("/prepaid")
def prepaid():
    return render_template(
        "portal/prepaid_list.html", accounts=prepaid_service.accounts(g.customer_user)
    )


def _account_page(account, status=200, error=None, form=None):
    page = render_template(
        "portal/prepaid_account.html",
        account=account,
        lines=prepaid_service.lines(account),
        history=prepaid_service.balance_history(account, _before()),
        limits=prepaid_service.topup_limits(account.currency),
        error=error,
        form=form or {},
    )
    return page, status


@portal.get("/prepaid/<int:account_id>")
def prepaid_account(account_id):
    return _account_page(_account(account_id))


@portal.post("/prepaid/<int:account_id>/voucher")
def prepaid_voucher(account_id):
    account = _account(account_id)
    form = {"form": "voucher", "line_id": request.form.get("line_id", "")}
    try:
        done = prepaid_service.redeem_voucher(
            g.customer_user, account, form["line_id"], request.form.get("pin", "")
        )
    except DomainError as exc:
        return _account_page(account, 422, exc, form)
    flash(
        gettext("Voucher %(serial)s: %(amount)s added to your balance.", serial=done.voucher.serial,
           amount=format_money(done.payment.amount, done.payment.currency,
                               str(get_locale()))),
        "success",
    )  # fmt: skip
    return redirect(url_for("portal.prepaid_account", account_id=account.id))


@portal.post("/prepaid/<int:account_id>/topup")
def prepaid_topup(account_id):
    account = _account(account_id)
    form = {"form": "topup", "amount": request.form.get("amount", "").strip()}
    try:
        session = prepaid_service.start_topup(account, form["amount"])
    except DomainError as exc:
        return _account_page(account, 422, exc, form)
    return redirect(session.checkout_url)
