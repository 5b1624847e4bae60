"""Online payment pages (docs/online-payment.md). Staff start a checkout from an invoice or
a prepaid account and list the sessions; the customer's pages (the payment link, the
sandbox's card page, the result) and the gateways' webhooks need no staff login. The rules
live in app/services/gateway/."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_appbuilder import expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.extensions import csrf
from app.models.gateway import CheckoutSession, CheckoutStatus
from app.models.types import utcnow
from app.security import ONLINE_PAYMENTS, PAYMENTS_MENU, VIEW_METHOD_PERMISSIONS
from app.services.billing import invoices
from app.services.gateway import checkout, sandbox_host, webhooks
from app.services.gateway.interface import BadEvent
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import ScopedModelView, visible_account
from app.views.display import checkout_failure_text, label_for, local_amount, local_datetime

STATUS_LABELS = {
    CheckoutStatus.CREATED: _l("Waiting for payment"),
    CheckoutStatus.SUCCEEDED: _l("Paid"),
    CheckoutStatus.DECLINED: _l("Declined"),
    CheckoutStatus.FAILED: _l("Failed"),
    CheckoutStatus.EXPIRED: _l("Expired"),
}

public = Blueprint("gateway", __name__, url_prefix="/gateway")


@public.get("/pay/<token>")
def pay(token):
    """The link sent to the customer: on to the gateway's page while it can be paid."""
    session = _session(token)
    if session.status == CheckoutStatus.CREATED:
        return redirect(session.checkout_url)
    return redirect(url_for("gateway.result", token=token))


@public.route("/sandbox/<ref>", methods=["GET", "POST"])
def sandbox_page(ref):
    """The sandbox gateway's hosted card page."""
    session = checkout.by_provider_ref("sandbox", ref)
    if session is None:
        abort(404)
    session = _session(session.token)
    if session.status != CheckoutStatus.CREATED:
        return redirect(_back(session))
    card = sandbox_host.Card()
    if request.method == "POST":
        card = sandbox_host.check_card(
            request.form.get("card_number", ""),
            request.form.get("expiry", ""),
            request.form.get("cvc", ""),
            utcnow().date(),
        )
        if not card.errors:
            sandbox_host.charge(session, card)
            return redirect(_back(session))
    with force_locale(session.language):
        page = render_template("gateway/sandbox_card.html", session=session, errors=card.errors)
    return page, 422 if card.errors else 200


@public.get("/result/<token>")
def result(token):
    session = _session(token)
    with force_locale(session.language):
        return render_template(
            "gateway/result.html",
            session=session,
            failure=checkout_failure_text(session.failure),
        )


@public.post("/webhook/<provider>")
@csrf.exempt
def webhook(provider):
    """A gateway's event: 400 when it cannot be trusted or read (nothing changes), 200
    once taken (a duplicate too, so the gateway stops sending it)."""
    try:
        receipt = webhooks.receive(provider, request.get_data(), request.headers)
    except NotFound:
        abort(404)
    except BadEvent as exc:
        return jsonify(error=exc.reason), 400
    return jsonify(received=receipt.event_id, outcome=receipt.outcome,
                   duplicate=receipt.duplicate)  # fmt: skip


def _back(session: CheckoutSession):
    """Where the customer goes after the card page: where the session was started from
    asked (the portal), else the gateway's result page."""
    return session.return_url or url_for("gateway.result", token=session.token)


def _session(token: str) -> CheckoutSession:
    try:
        return checkout.by_token(token)
    except NotFound:
        abort(404)


class OnlinePaymentView(ScopedModelView):
    datamodel = SQLAInterface(CheckoutSession)
    class_permission_name = ONLINE_PAYMENTS
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "invoice": "write", "topup": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = _l("Online payments")
    show_title = _l("Online payment")
    show_template = "gateway/session_show.html"
    label_columns = {
        "created_at": _l("Started"),
        "account": _l("Account"),
        "invoice": _l("Invoice"),
        "purpose": _l("For"),
        "amount": _l("Amount"),
        "currency": _l("Currency"),
        "gateway": _l("Gateway"),
        "status": _l("Status"),
        "failure": _l("Reason"),
        "card_last4": _l("Card"),
        "payment": _l("Payment"),
        "username": _l("Started by"),
        "expires_at": _l("Expires"),
        "completed_at": _l("Completed"),
    }
    formatters_columns = {
        "status": label_for(STATUS_LABELS),
        "purpose": label_for({"payment": _l("Invoice"), "topup": _l("Top-up")}),
        "amount": local_amount,
        "created_at": local_datetime,
        "expires_at": local_datetime,
        "completed_at": local_datetime,
    }
    list_columns = [
        "created_at",
        "account",
        "invoice",
        "purpose",
        "currency",
        "amount",
        "gateway",
        "status",
        "failure",
        "payment",
    ]
    show_columns = [*list_columns, "card_last4", "username", "expires_at", "completed_at"]
    search_columns = ["status", "gateway", "created_at"]
    base_order = ("id", "desc")
    # sessions are made by starting a payment and closed by the gateway, never edited
    include_route_methods = {"list", "show", "invoice", "topup"}

    def render_template(self, template, **kwargs):
        if template == self.show_template:
            session = self._checkout(kwargs["pk"])
            kwargs["checkout"] = session
            kwargs["link"] = url_for("gateway.pay", token=session.token, _external=True)
        return super().render_template(template, **kwargs)

    def _checkout(self, pk) -> CheckoutSession:
        try:
            return checkout.get(int(pk), current_region_ids())
        except (NotFound, ValueError):
            abort(404)

    @expose("/invoice/<int:pk>", methods=["POST"])
    @has_access
    def invoice(self, pk):
        """Pay an invoice online: a link to send the customer or open at the counter."""
        try:
            invoice = invoices.get(pk, current_region_ids())
        except NotFound:
            abort(404)
        back = url_for("InvoiceView.show", pk=invoice.id)
        return self._start(lambda: checkout.start(invoice.account, invoice=invoice), back)

    @expose("/topup/<int:pk>", methods=["POST"])
    @has_access
    def topup(self, pk):
        account = visible_account(pk)
        back = url_for("AccountBillingView.show", pk=account.id)
        amount = request.form.get("amount", "")
        return self._start(lambda: checkout.start(account, amount=amount), back)

    def _start(self, start, back: str):
        if not DynamicForm().validate_on_submit():
            abort(400)
        try:
            session = start()
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(back)
        return redirect(url_for("OnlinePaymentView.show", pk=session.id))


def register(appbuilder) -> None:
    appbuilder.add_view(
        OnlinePaymentView,
        ONLINE_PAYMENTS,
        label=_l("Online payments"),
        icon="fa-credit-card",
        category=PAYMENTS_MENU,
        category_label=_l("Payments"),
        category_icon="fa-money-bill",
    )
    current_app.register_blueprint(public)
