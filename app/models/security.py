"""Staff and portal users: FAB's user, extended with region scope and the portal customer."""

from __future__ import annotations

import secrets

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import Group, Role, User
from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.crm import Customer, Region

user_region = Table(
    "user_region",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", Integer, ForeignKey("region.id", ondelete="CASCADE"), primary_key=True),
)


class AbonentUser(User):
    __tablename__ = "ab_user"
    __audited__ = True
    # who may do what changes through roles and regions; sign-in bookkeeping and the
    # password hash are no one's business in the trail
    __audit_relations__ = ("roles", "regions")
    __audit_ignore__ = frozenset(
        {
            "password",
            "security_stamp",
            "last_login",
            "login_count",
            "fail_login_count",
            "created_on",
            "changed_on",
        }
    )

    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), nullable=True)
    regions: Mapped[list[Region]] = relationship(secondary=user_region)
    customer: Mapped[Customer | None] = relationship()
    # the portal's language, once the customer chose one (before: the browser's)
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # sessions and API tokens carry it and end when it changes (app/services/platform/sessions.py)
    security_stamp: Mapped[str] = mapped_column(
        String(32), default=lambda: secrets.token_hex(16), server_default=""
    )

    def get_id(self) -> str:
        """What a signed-in session remembers: the user and the stamp it was made with."""
        return f"{self.id}:{self.security_stamp}"


def _accept_extended_users(relationship) -> None:
    """FAB relates a group's members to its own User class; ours extends it, which FAB allows
    for a role's members but not a group's (adding a user to a group failed at the flush)."""
    relationship.enable_typechecks = False
    # FAB's imports have usually configured the mappers already; the flush step keeps a copy
    processor = getattr(relationship, "_dependency_processor", None)
    if processor is not None:
        processor.enable_typechecks = False


_accept_extended_users(Group.__mapper__.get_property("users"))

# what a role may do is audited like the records themselves (FAB's own model, so set here)
Role.__audited__ = True
Role.__audit_relations__ = ("permissions",)
