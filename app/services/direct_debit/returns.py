"""Returns (docs/direct-debit.md, "Returns"): a debit the debtor's bank sent back. Its
payment is reversed with the reason, so the invoices ask for their money again; a reason
saying the mandate or the account is gone revokes the mandate. A return applied before is
a duplicate; a status report read twice changes nothing."""

import hashlib
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.billing import Invoice
from app.models.direct_debit import CollectionItem, CollectionRun, ItemStatus, MandateStatus
from app.models.imports import ImportBatch, ImportReject
from app.models.types import utcnow
from app.services.direct_debit import mandates, status_report
from app.services.payments import reversals
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.claims import claim
from app.services.platform.errors import DomainError

# the ISO 20022 reason codes SEPA banks return debits with (EPC guidance)
REASONS = {
    "AC01": _l("account identifier incorrect"),
    "AC04": _l("account closed"),
    "AC06": _l("account blocked"),
    "AG01": _l("direct debit forbidden on this account"),
    "AG02": _l("invalid operation code"),
    "AM04": _l("insufficient funds"),
    "AM05": _l("duplicate collection"),
    "BE05": _l("creditor unknown to the debtor's bank"),
    "FF01": _l("invalid file format"),
    "MD01": _l("no mandate"),
    "MD02": _l("mandate data missing or incorrect"),
    "MD06": _l("refund requested by the debtor"),
    "MD07": _l("debtor deceased"),
    "MS02": _l("refused by the debtor"),
    "MS03": _l("reason not specified"),
    "RC01": _l("bank identifier incorrect"),
    "RR01": _l("debtor's account or identification missing"),
    "RR04": _l("regulatory reason"),
    "SL01": _l("specific service of the debtor's bank"),
}
# the mandate can collect nothing more: no mandate, or no account to debit
REVOKING = frozenset({"AC01", "AC04", "AC06", "MD01", "MD07"})
KIND = "debit_returns"


@dataclass
class Returned:
    item: CollectionItem
    reopened: list[Invoice] = field(default_factory=list)
    duplicate: bool = False
    revoked: bool = False


@dataclass
class ReturnsRead:
    returned: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    def __str__(self) -> str:
        return (
            f"returned {self.returned}, duplicates {self.duplicates}, rejected {len(self.rejected)}"
        )


def by_end_to_end_id(end_to_end_id: str) -> CollectionItem | None:
    return db.session.scalar(
        select(CollectionItem).where(CollectionItem.end_to_end_id == end_to_end_id)
    )


def reason_of(code: str) -> str:
    return f"{code} {REASONS[code]}"


def apply(item: CollectionItem, code: str) -> Returned:
    """The debit came back with the reason code: reverse its payment (commits)."""
    code = validation.check_choice("code", (code or "").strip().upper(), list(REASONS))
    if item.status == ItemStatus.RETURNED:
        return Returned(item, duplicate=True)
    if item.payment_id is None:
        raise DomainError("item", _l("the debit has no payment yet: run the collection again"))
    reason = str(_l("direct debit returned: %(reason)s", reason=reason_of(code)))
    # first in the transaction: a second return of the same debit at once waits, then
    # finds it returned
    moved = claim(
        CollectionItem,
        item.id,
        ItemStatus.COLLECTED,
        status=ItemStatus.RETURNED,
        return_code=code,
        returned_at=utcnow(),
        returned_by=current_username(),
    )
    if not moved:
        db.session.rollback()
        return Returned(item, duplicate=True)
    revoked = code in REVOKING and item.mandate.status == MandateStatus.ACTIVE
    if revoked:
        mandates.revoke(item.mandate, reason, commit=False)
    reopened = reversals.reverse(item.payment, reason)
    db.session.refresh(item)
    return Returned(item, reopened, revoked=revoked)


def read_file(content: bytes, filename: str) -> ReturnsRead:
    """Apply the returns a pain.002 status report lists; each line it cannot apply is kept
    with its reason (import_reject), the file's figures with it (import_batch)."""
    rejections = status_report.read(content)
    done = ReturnsRead()
    kept = []
    for rejection in rejections:
        items, refusal = _items_of(rejection)
        for item in items:
            try:
                returned = apply(item, rejection.code)
            except DomainError as exc:
                refusal = f"{item.end_to_end_id}: {exc.message}"
                break
            if returned.duplicate:
                done.duplicates += 1
            else:
                done.returned += 1
        if refusal:
            done.rejected.append((rejection.line, refusal))
            kept.append((rejection, refusal))
    batch = ImportBatch(
        kind=KIND,
        filename=filename[:500],
        sha256=hashlib.sha256(content).hexdigest(),
        username=current_username(),
        read=len(rejections),
        accepted=done.returned,
        rejected=len(done.rejected),
        duplicates=done.duplicates,
    )
    db.session.add(batch)
    for rejection, refusal in kept:
        db.session.add(
            ImportReject(batch=batch, line=rejection.line, reason=refusal[:500], raw=rejection.raw)
        )
    db.session.commit()
    return done


def _items_of(rejection) -> tuple[list[CollectionItem], str | None]:
    """The debits a rejection names: one by its end-to-end id, or all of a rejected file."""
    if rejection.end_to_end_id is None:
        run = db.session.scalar(
            select(CollectionRun).where(CollectionRun.message_id == rejection.message_id)
        )
        if run is None:
            return [], str(
                DomainError(
                    "OrgnlMsgId",
                    _l("no collection file %(id)s was sent", id=repr(rejection.message_id)),
                )
            )
        return list(run.items), None
    item = by_end_to_end_id(rejection.end_to_end_id)
    if item is None:
        return [], str(
            DomainError(
                "OrgnlEndToEndId",
                _l("no debit %(id)s was collected", id=repr(rejection.end_to_end_id)),
            )
        )
    return [item], None
