"""Voucher redemption (docs/prepaid.md): `POST /api/v1/voucher/redeem {service_id, pin}`,
called by an IVR, a shop's till or the self-care app with a staff JWT."""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from app.api.base import ServiceCallApi, operation
from app.api.schemas import Body, Text, at_most
from app.api.usage import SERVICE_ID
from app.security import PAYMENTS
from app.services.crm import lines
from app.services.platform.errors import DomainError
from app.services.platform.scoping import current_region_ids
from app.services.prepaid import redemption

PIN_TYPED = 40  # the PIN's digits with the spaces and dashes people type between groups


class RedeemInput(Body):
    """The line to top up and the voucher's PIN"""

    service_id = SERVICE_ID
    pin = Text(required=True, validate=at_most(PIN_TYPED))


class Redemption(Schema):
    """The voucher redeemed, the top-up payment and the balance after it"""

    serial = fields.String()
    amount = fields.String(metadata={"format": "decimal"})
    currency = fields.String()
    payment_id = fields.Integer()
    balance = fields.String(metadata={"format": "decimal"})


class BlockedLine(Schema):
    """The line gave 5 wrong PINs within an hour: the message names when it may try again
    (also in Retry-After)"""

    message = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class VoucherApi(ServiceCallApi):
    resource_name = "voucher"
    class_permission_name = PAYMENTS
    openapi_spec_tag = "Vouchers"
    method_permission_name = {"redeem": "write"}

    @expose("/redeem", methods=["POST"])
    @protect()
    @safe
    @operation(body=RedeemInput, answers={200: Redemption, 429: BlockedLine})
    def redeem(self, body):
        """Redeem a voucher

        Top a prepaid line's account up with a voucher's value, once. A wrong, used,
        expired or cancelled PIN is 422 with the reason; a line that gave 5 wrong PINs
        within an hour is 429 until the time the message names (Retry-After).
        """
        service = lines.holder(body["service_id"], region_ids=current_region_ids())
        if service is None:
            refusal = DomainError(
                "service_id", _l("unknown service %(ref)s", ref=repr(body["service_id"]))
            )
            return self.refused(refusal)
        try:
            done = redemption.redeem(service, body["pin"])
        except redemption.Blocked as exc:
            answer = self.refused(exc, 429)
            answer.headers["Retry-After"] = exc.until.strftime("%a, %d %b %Y %H:%M:%S GMT")
            return answer
        except DomainError as exc:
            return self.refused(exc)
        payment = done.payment
        return 200, {
            "serial": done.voucher.serial,
            "amount": payment.amount,
            "currency": payment.currency,
            "payment_id": payment.id,
            "balance": payment.account.balance,
        }


def register(appbuilder) -> None:
    appbuilder.add_api(VoucherApi)
