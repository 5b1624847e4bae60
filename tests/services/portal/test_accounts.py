"""Portal accounts: the invitation (a user who cannot sign in until the password is set,
an email in the customer's language with a link), the password reset, and links that
expire, work once and serve one purpose only."""

import re

import pytest
from itsdangerous.timed import TimestampSigner

from app.extensions import appbuilder, db
from app.models.communications import Communication
from app.services.platform.errors import DomainError
from app.services.portal import accounts, links
from tests.conftest import PASSWORD
from tests.services.care.ticketed import customer

NEW_PASSWORD = "violet harbour kettle 51"
# any host: the browser tests' live server may have named its own
LINK = re.compile(r"https?://[^/\s]+/portal/(welcome|reset)/([A-Za-z0-9_.-]+)")


def _mails(kind):
    return list(db.session.scalars(db.select(Communication).filter_by(kind=kind)))


def sent_link(mailbox, index=-1) -> tuple[str, str]:
    """(the page, the token) of the link in a message the SMTP server got."""
    found = LINK.search(mailbox.messages[index].get_content())
    assert found, mailbox.messages[index].get_content()
    return found.group(1), found.group(2)


def test_an_invited_customer_cannot_sign_in_until_setting_a_password(ctx, smtp):
    mailbox, _server = smtp
    person = customer("PA1", language="it")
    user = accounts.invite(person)
    assert (user.customer_id, user.email, [r.name for r in user.roles]) == (
        person.id, "anna@example.test", ["Customer"]
    )  # fmt: skip
    assert not accounts.has_password(user)
    assert appbuilder.sm.auth_user_db("anna@example.test", "!") is None
    [queued] = _mails("portal_invite")
    # on the customer's timeline, in their language; the link is signed only when sent
    assert (queued.account_id, queued.language, queued.status) == (
        person.accounts[0].id, "it", "queued"
    )  # fmt: skip
    assert accounts.LINK in queued.body and "/portal/welcome/" not in queued.body
    assert accounts.send_due().sent == 1
    message = mailbox.messages[0]
    assert message["To"] == "anna@example.test" and message["Content-Language"] == "it"
    assert "Gentile" in message.get_content() or "Anna PA1" in message.get_content()
    page, token = sent_link(mailbox)
    assert page == "welcome"
    assert links.user_of(links.INVITATION, token) == user
    accounts.set_password(links.INVITATION, token, NEW_PASSWORD, NEW_PASSWORD)
    assert appbuilder.sm.auth_user_db("anna@example.test", NEW_PASSWORD) == user
    # used: the password gave the user a new stamp
    with pytest.raises(links.LinkRefused) as used:
        links.user_of(links.INVITATION, token)
    assert used.value.why == links.USED


def test_an_invitation_is_refused_without_an_address_an_account_or_a_free_sign_in(ctx):
    with pytest.raises(DomainError, match="email: the customer has no email address"):
        accounts.invite(customer("PA2", email=None))
    with pytest.raises(DomainError, match="no billing account"):
        accounts.invite(customer("PA3", account=False))
    with pytest.raises(DomainError, match="email: CSR@test.example is the sign-in of another user"):
        accounts.invite(customer("PA4", email="CSR@test.example"))
    person = customer("PA5", email="five@example.test")
    first = accounts.invite(person)
    # again while no password is set: the same user, a second email
    assert accounts.invite(person) == first and len(_mails("portal_invite")) == 2
    first.password = "x"  # any usable hash
    db.session.commit()
    with pytest.raises(DomainError, match="uses the portal already"):
        accounts.invite(person)


def test_a_reset_link_is_emailed_only_to_a_portal_user(ctx, smtp):
    mailbox, _server = smtp
    person = customer("PA6", language="ru", email="six@example.test")
    user = accounts.invite(person)
    user.password = "x"
    db.session.commit()
    accounts.forgot("nobody@example.test")
    accounts.forgot("csr@test.example")  # staff reset their password elsewhere
    accounts.forgot("")
    assert _mails("password_reset") == []
    accounts.forgot("SIX@example.test")
    [queued] = _mails("password_reset")
    assert (queued.recipient, queued.language) == ("six@example.test", "ru")
    accounts.send_due()
    assert [m["To"] for m in mailbox.messages][-1] == "six@example.test"
    page, token = sent_link(mailbox)
    assert page == "reset"
    with pytest.raises(DomainError, match="^password: The password must have at least 12"):
        accounts.set_password(links.RESET, token, "short", "short")
    with pytest.raises(DomainError, match="^password: The password is too easy"):
        accounts.set_password(links.RESET, token, "password2024!", "password2024!")
    with pytest.raises(DomainError, match="^password_again: the two passwords differ"):
        accounts.set_password(links.RESET, token, NEW_PASSWORD, NEW_PASSWORD + "x")
    stamp = user.security_stamp
    accounts.set_password(links.RESET, token, NEW_PASSWORD, NEW_PASSWORD)
    assert user.security_stamp != stamp  # every other session ends
    with pytest.raises(links.LinkRefused):
        accounts.set_password(links.RESET, token, PASSWORD, PASSWORD)


def test_links_expire_and_serve_their_own_purpose_only(ctx, app, monkeypatch):
    user = accounts.invite(customer("PA7", email="seven@example.test"))
    reset = links.make(links.RESET, user)
    invitation = links.make(links.INVITATION, user)
    assert links.user_of(links.RESET, reset) == user
    with pytest.raises(links.LinkRefused) as wrong:
        links.user_of(links.INVITATION, reset)
    assert wrong.value.why == links.INVALID
    with pytest.raises(links.LinkRefused) as forged:
        links.user_of(links.RESET, reset[:-2] + "xx")
    assert forged.value.why == links.INVALID
    # an hour and a second later: the reset link has expired, the invitation not yet
    later = TimestampSigner.get_timestamp(None) + 3601
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: later)
    with pytest.raises(links.LinkRefused) as expired:
        links.user_of(links.RESET, reset)
    assert expired.value.why == links.EXPIRED and "expired" in expired.value.message
    assert links.user_of(links.INVITATION, invitation) == user
    eight_days = later + 7 * 86400
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: eight_days)
    with pytest.raises(links.LinkRefused, match="expired"):
        links.user_of(links.INVITATION, invitation)
    # the lifetimes are settings
    monkeypatch.setitem(app.config, "PORTAL_INVITATION_TTL", 30 * 86400)
    assert links.user_of(links.INVITATION, invitation) == user
