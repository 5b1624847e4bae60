"""A status change that two transactions at once cannot both make."""

from sqlalchemy import update

from app.extensions import db


def claim(model, record_id: int, current: str, /, **values) -> bool:
    """Moves the record out of status `current`, setting `values`, in one conditional
    UPDATE in the caller's transaction; False when another transaction moved it first (of
    two at once, the second waits for the first, then finds nothing to move)."""
    moved = db.session.execute(
        update(model)
        .where(model.id == record_id, model.status == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return moved == 1
