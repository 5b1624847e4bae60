"""Four-eyes decisions: a row waiting for approval (a credit note, an adjustment above its
limit) is approved or rejected by someone other than who made it, exactly once."""

from flask_babel import LazyString
from sqlalchemy import update

from app.extensions import db
from app.models.types import utcnow
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError


def decide(
    row,
    author: str,
    waiting: str,
    to_status: str,
    note: str | None,
    already: LazyString,
    not_yours: LazyString,
) -> None:
    """Moves `row` from `waiting` to `to_status` with who decided, when and the note, in the
    caller's transaction."""
    if row.status != waiting:
        raise DomainError("status", already)
    if author == current_username():
        raise DomainError("decided_by", not_yours)
    model = type(row)
    # conditional: of two staff deciding at once, one wins and the other is told
    moved = db.session.execute(
        update(model)
        .where(model.id == row.id, model.status == waiting)
        .values(status=to_status, decided_by=current_username(), decided_at=utcnow(),
                decision_note=note)
        .execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip
    if moved != 1:
        raise DomainError("status", already)
