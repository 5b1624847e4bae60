"""How often an account is billed (docs/billing.md, "Bill frequency"): every 1, 2 or 3
months. A change takes effect when the cycle under way ends, so no day is billed twice or
left out; an account billed to another follows its payer's frequency, and a change of the
payer's carries its accounts along."""

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import func, select

from app.extensions import db
from app.models.billing import Invoice, InvoiceStatus
from app.models.crm import BILL_EVERY, BillFrequencyChange, BillingAccount, Service
from app.services.platform import periods
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError


def check_bill_every(value) -> int:
    try:
        every = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(
            "bill_every", _l("%(value)s is not 1, 2 or 3 months", value=repr(value))
        ) from None
    if every not in BILL_EVERY:
        raise DomainError("bill_every", _l("%(value)s is not 1, 2 or 3 months", value=every))
    return every


def check_follows_payer(account: BillingAccount) -> None:
    """An account billed to another is billed with it, so every as many months."""
    payer = account.bill_to
    if payer is not None and payer.bill_every != account.bill_every:
        raise DomainError(
            "bill_every",
            _ln("%(ref)s is billed to %(payer)s, which is billed every month: set the same",
                "%(ref)s is billed to %(payer)s, which is billed every %(num)d months: set the "
                "same", payer.bill_every, ref=account.ref, payer=payer.ref),
        )  # fmt: skip


def frequencies(account_ids) -> dict[int, periods.Frequency]:
    """Each account's frequency over time, from its changes (an account never changed: its
    own `bill_every` throughout)."""
    ids = list(account_ids)
    found = {
        account_id: periods.Frequency(every)
        for account_id, every in db.session.execute(
            select(BillingAccount.id, BillingAccount.bill_every).where(BillingAccount.id.in_(ids))
        )
    }
    changes = defaultdict(list)
    for account_id, effective_on, from_every, to_every in db.session.execute(
        select(BillFrequencyChange.account_id, BillFrequencyChange.effective_on,
               BillFrequencyChange.from_every, BillFrequencyChange.to_every)
        .where(BillFrequencyChange.account_id.in_(ids))
        .order_by(BillFrequencyChange.effective_on, BillFrequencyChange.id)
    ):  # fmt: skip
        changes[account_id].append((effective_on, from_every, to_every))
    for account_id, history in changes.items():
        found[account_id] = periods.Frequency(
            history[0][1], tuple((day, to_every) for day, _from, to_every in history)
        )
    return found


def anchors(payer_ids, until: date) -> dict[int, date]:
    """Where each payer's cycles are counted from, as of `until`: the end of its last bill
    up to that day, so every bill starts where the one before ended whatever happened
    since; before any bill, the first day a line it bills (its own or one of an account
    billed to it) was active. Payers with neither have no cycle yet."""
    ids = list(payer_ids)
    found = dict(
        db.session.execute(
            select(Invoice.account_id, func.max(Invoice.period_end))
            .where(
                Invoice.account_id.in_(ids),
                Invoice.period_end <= until,
                Invoice.status != InvoiceStatus.VOID,
            )
            .group_by(Invoice.account_id)
        ).all()
    )
    unbilled = [payer_id for payer_id in ids if payer_id not in found]
    if unbilled:
        payer = func.coalesce(BillingAccount.bill_to_id, BillingAccount.id)
        found.update(
            db.session.execute(
                select(payer, func.min(Service.activated_on))
                .join(Service, Service.account_id == BillingAccount.id)
                .where(
                    (BillingAccount.id.in_(unbilled)) | (BillingAccount.bill_to_id.in_(unbilled)),
                    Service.activated_on.is_not(None),
                )
                .group_by(payer)
            ).all()
        )
    return found


def cycle_under_way(account: BillingAccount, today: date) -> tuple[date, date]:
    """The cycle under way on `today` of the account's payer (whose cycles bill it)."""
    payer = account.bill_to or account
    return periods.cycle_holding(
        today,
        payer.bill_day,
        anchors([payer.id], today).get(payer.id),
        frequencies([payer.id])[payer.id],
    )


def record_change(account: BillingAccount, today: date | None = None) -> None:
    """Keep a change of the account's `bill_every` (already set on it): it takes effect when
    the cycle under way on `today` (by default its region's date) ends, and the accounts
    billed to it change with it. An account with no line active yet has no cycle: its new
    frequency counts from its first."""
    if account.id is None:
        return
    with db.session.no_autoflush:  # the stored frequency, not the one just set
        stored = db.session.scalar(
            select(BillingAccount.bill_every).where(BillingAccount.id == account.id)
        )
        if stored == account.bill_every:
            return
        check_follows_payer(account)
        today = today or datetime.now(ZoneInfo(account.customer.region.timezone)).date()
        anchor = anchors([account.id], today).get(account.id)
        if anchor is None or anchor > today:
            # no line active yet (none, or pending ones): whatever its earlier changes, the
            # first cycle starts on or after this month-period, so it is of the new length;
            # the cycle `today` would fall in by the old one may outlast that start
            effective_on = periods.cycle_start(account.bill_day, today)
        else:
            _, effective_on = periods.cycle_holding(
                today, account.bill_day, anchor, frequencies([account.id])[account.id]
            )
        _record(account, stored, effective_on)
        _carry_payees(account, effective_on)


def _carry_payees(payer: BillingAccount, effective_on: date) -> None:
    for payee in db.session.scalars(
        select(BillingAccount).where(BillingAccount.bill_to_id == payer.id)
    ):
        if payee.bill_every == payer.bill_every:
            continue
        stored = payee.bill_every
        payee.bill_every = payer.bill_every
        _record(payee, stored, effective_on)


def _record(account: BillingAccount, stored: int, effective_on: date) -> None:
    db.session.add(
        BillFrequencyChange(
            account_id=account.id,
            effective_on=effective_on,
            from_every=stored,
            to_every=account.bill_every,
            username=current_username(),
        )
    )


def coming_change(account: BillingAccount, today: date) -> tuple[date, int] | None:
    """(from when, months) of a frequency change of the account's payer that has yet to take
    effect; None when the cycle under way's frequency goes on."""
    payer = account.bill_to or account
    frequency = frequencies([payer.id])[payer.id]
    later = [(day, every) for day, every in frequency.changes if day > today]
    if not later:
        return None
    start, _end = cycle_under_way(payer, today)
    effective_on = later[-1][0]
    every = frequency.at(effective_on)
    return (effective_on, every) if every != frequency.at(start) else None
