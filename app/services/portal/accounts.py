"""Portal accounts: staff invite a customer to the portal, a customer who forgot the
password asks for a reset, and either sets the password from the link emailed
(docs/portal.md, "Accounts").

The invitation makes the customer's portal user (role Customer, linked to the customer,
signing in with the customer's email) with no usable password: nobody signs in as it until
the customer has set one from the link. Both emails are communications on the customer's
first account, on its timeline, sent by the bill delivery's machinery (`send_due`, the
scheduler's `portal-emails` job): their text is kept, but not the link, which is signed
only when the email is sent (app/services/portal/links.py) so that no one reading the
communication could use it.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from flask import current_app, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import appbuilder, db
from app.models.communications import Communication, CommunicationKind
from app.models.crm import BillingAccount, Customer
from app.models.security import AbonentUser
from app.models.types import utcnow
from app.services.billing import delivery
from app.services.platform import passwords
from app.services.platform.errors import DomainError
from app.services.platform.language import customer_language, is_language
from app.services.portal import links

CUSTOMER_ROLE = "Customer"
# a password hash no password matches (werkzeug answers False for it): an invited user
# cannot sign in before setting a password
UNUSABLE = "!"
# where the emailed text holds the link, which is made when the email is sent
LINK = "[[link]]"
TOKEN = "__token__"
KINDS = {
    CommunicationKind.PORTAL_INVITATION: (links.INVITATION, "portal.welcome"),
    CommunicationKind.PASSWORD_RESET: (links.RESET, "portal.reset"),
}


def portal_user(customer: Customer) -> AbonentUser | None:
    """The customer's own portal user (the first, when a company has several)."""
    return db.session.scalar(
        select(AbonentUser).where(AbonentUser.customer_id == customer.id).order_by(AbonentUser.id)
    )


def has_password(user: AbonentUser) -> bool:
    return bool(user.password) and user.password != UNUSABLE


def email_taken(email: str, user: AbonentUser | None = None) -> bool:
    """Whether another user than `user` signs in with this address (as email or username,
    both of which the sign-in accepts)."""
    lowered = email.lower()
    query = select(AbonentUser.id).where(
        (func.lower(AbonentUser.email) == lowered) | (func.lower(AbonentUser.username) == lowered)
    )
    if user is not None:
        query = query.where(AbonentUser.id != user.id)
    return db.session.scalar(query.limit(1)) is not None


def invite(customer: Customer, now: datetime | None = None) -> AbonentUser:
    """Make (or take again) the customer's portal user and queue the invitation email, in
    the customer's language. Refused for a customer without an email address or a billing
    account, with an address another user signs in with, or whose user has set a password
    already (they reset a forgotten one from the sign-in page)."""
    now = now or utcnow()
    if not customer.email:
        raise DomainError("email", _l("the customer has no email address"))
    account = _first_account(customer)
    if account is None:
        raise DomainError("customer", _l("the customer has no billing account yet"))
    user = portal_user(customer)
    if user is not None and has_password(user):
        raise DomainError(
            "customer",
            _l(
                "the customer uses the portal already (a forgotten password is reset from "
                "its sign-in page)"
            ),
        )
    if email_taken(customer.email, user):
        raise DomainError(
            "email", _l("%(email)s is the sign-in of another user", email=customer.email)
        )
    try:
        if user is None:
            user = _new_user(customer)
        else:
            user.email = user.username = customer.email
            user.active = True
        _queue(CommunicationKind.PORTAL_INVITATION, user, account, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user


def _new_user(customer: Customer) -> AbonentUser:
    security = appbuilder.sm
    user = security.add_user(
        customer.email,
        customer.name[:64],
        customer.ref[:64],
        customer.email,
        [security.find_role(CUSTOMER_ROLE)],
        hashed_password=UNUSABLE,
        commit=False,
    )
    if not user:
        raise DomainError("email", _l("could not make the portal user"))
    user.customer = customer
    db.session.flush()
    return user


def forgot(email: str, now: datetime | None = None) -> None:
    """Queue a reset email when a portal user signs in with this address; nothing
    otherwise, and the caller answers alike either way (nobody learns who is a customer)."""
    email = (email or "").strip()
    if not email or "\x00" in email:
        return
    user = db.session.scalar(
        select(AbonentUser).where(
            func.lower(AbonentUser.email) == email.lower(),
            AbonentUser.customer_id.is_not(None),
            AbonentUser.active.is_(True),
        )
    )
    account = _first_account(user.customer) if user is not None else None
    if account is None:
        return
    _queue(CommunicationKind.PASSWORD_RESET, user, account, now or utcnow())
    db.session.commit()


def link_user(purpose: str, token: str) -> AbonentUser:
    """The user a link was emailed to, while it is valid (links.LinkRefused otherwise)."""
    return links.user_of(purpose, token)


def set_password(purpose: str, token: str, password: str, repeated: str) -> AbonentUser:
    """Set the password from a link: the staff's password rules, typed twice alike. The new
    password gives the user a new stamp, so the link is used up and every other session
    ends."""
    user = links.user_of(purpose, token)
    reason = passwords.problem(password)
    if reason is not None:
        raise DomainError("password", reason)
    if password != repeated:
        raise DomainError("password_again", _l("the two passwords differ"))
    appbuilder.sm.reset_password(user.id, password)
    return user


# --------------------------------------------------------------------------- the emails


def _first_account(customer: Customer) -> BillingAccount | None:
    """Where the customer's portal emails are kept, as their other messages are."""
    return db.session.scalar(
        select(BillingAccount)
        .where(BillingAccount.customer_id == customer.id)
        .order_by(BillingAccount.id)
        .limit(1)
    )


def _language(user: AbonentUser) -> str:
    return user.language if is_language(user.language) else customer_language(user.customer)


def _address(endpoint: str) -> str:
    """The link's address with TOKEN in place of the token: APP_URL's when set, else the
    one this request came to (jobs, which send the email, have no request)."""
    base = current_app.config["APP_URL"]
    if base:
        return base + url_for(endpoint, token=TOKEN)
    return url_for(endpoint, token=TOKEN, _external=True)


def _words(kind: str, user: AbonentUser) -> tuple[str, str]:
    """The subject and body of the email, in the current locale; LINK where the link goes."""
    customer = user.customer
    values = {"name": customer.name, "operator": customer.region.legal_name, "link": LINK}
    if kind == CommunicationKind.PORTAL_INVITATION:
        days = links.lifetime(links.INVITATION) // 86400
        return gettext("Your access to the %(operator)s customer portal", **values), gettext(
            "Dear %(name)s,\n\nyou can now see your bills and usage, pay online and follow "
            "your requests in our customer portal. Set your password with this link (it "
            "works once, within %(days)s days):\n\n%(link)s\n\nYou then sign in with your "
            "email address, %(email)s.\n\nThank you,\n%(operator)s",
            days=days,
            email=user.email,
            **values,
        )
    minutes = links.lifetime(links.RESET) // 60
    return gettext("Reset your %(operator)s portal password", **values), gettext(
        "Dear %(name)s,\n\nwe were asked to reset the password of your customer portal "
        "account. Choose a new password with this link (it works once, within %(minutes)s "
        "minutes):\n\n%(link)s\n\nIf you did not ask for it, ignore this email: your "
        "password stays as it is.\n\n%(operator)s",
        minutes=minutes,
        **values,
    )


def _queue(kind: str, user: AbonentUser, account: BillingAccount, now: datetime) -> None:
    language = _language(user)
    with force_locale(language):
        subject, body = _words(kind, user)
    delivery.queue_email(
        account.id,
        kind,
        language,
        subject[: Communication.__table__.c.subject.type.length],
        user.email,
        now,
        body,
        {"user": user.id, "address": _address(KINDS[kind][1])},
    )


def _message(communication: Communication, config) -> EmailMessage:
    """The email with its link, signed now: the link's lifetime runs from its sending."""
    purpose, _endpoint = KINDS[communication.kind]
    user = db.session.get(AbonentUser, communication.details["user"])
    link = communication.details["address"].replace(TOKEN, links.make(purpose, user))
    return delivery.email(communication, config, "portal", communication.body.replace(LINK, link))


def send_due(now: datetime | None = None) -> delivery.DeliverySummary:
    """The scheduler's job: send the invitations and reset emails that are due."""
    summary = delivery.DeliverySummary()
    for kind in KINDS:
        sent = delivery.send_due(now, kind=kind, compose=_message)
        summary.sent += sent.sent
        summary.retrying += sent.retrying
        summary.failed += sent.failed
    return summary
