"""Which gateway takes online payments: PAYMENT_GATEWAY, `sandbox` (the default) or
`stripe`; and the adapter a webhook's provider names."""

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.services.gateway.interface import Gateway
from app.services.gateway.sandbox import SandboxGateway
from app.services.gateway.stripe_gateway import StripeGateway
from app.services.platform.errors import NotFound

ADAPTERS: dict[str, type[Gateway]] = {"sandbox": SandboxGateway, "stripe": StripeGateway}


def named(name: str) -> Gateway:
    adapter = ADAPTERS.get(name)
    if adapter is None:
        raise NotFound("gateway", _l("no gateway %(name)s", name=name))
    return adapter()


def current() -> Gateway:
    return named(current_app.config["PAYMENT_GATEWAY"])
