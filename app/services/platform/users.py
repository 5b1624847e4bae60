"""Users: the system user that jobs act as, and staff or portal users by name."""

import secrets

from flask import current_app

from app.extensions import appbuilder, db
from app.models.crm import Customer, Region
from app.models.security import AbonentUser
from app.services.platform import passwords
from app.services.platform.actor import SYSTEM_USERNAME
from app.services.platform.errors import DomainError


def ensure_user(
    username: str,
    role_names: list[str],
    password: str,
    *,
    first_name: str,
    last_name: str,
    email: str,
    regions: list[Region] | None = None,
    customer: Customer | None = None,
    active: bool = True,
) -> AbonentUser:
    """Create the user once; an existing user keeps its password and settings."""
    sm = appbuilder.sm
    user = sm.find_user(username=username)
    if user is not None:
        return user
    reason = passwords.problem(password)
    if reason is not None:
        raise DomainError("password", reason)
    roles = [sm.find_role(name) for name in role_names]
    if None in roles:
        raise DomainError("roles", f"unknown role in {role_names}; run `flask setup` first")
    user = sm.add_user(username, first_name, last_name, email, roles, password=password)
    if not user:
        raise DomainError("username", f"could not create user {username}")
    user.regions = list(regions or [])
    user.customer = customer
    user.active = active
    db.session.commit()
    return user


def ensure_system_user() -> AbonentUser:
    """The user CLI commands and jobs act as; it cannot sign in."""
    return ensure_user(
        SYSTEM_USERNAME,
        [current_app.config["AUTH_ROLE_ADMIN"]],
        secrets.token_urlsafe(32),
        first_name="Abonent",
        last_name="System",
        email="system@abonent.invalid",
        active=False,
    )


def roles_of(user) -> list:
    """A user's roles: those given to the user and those of the user's groups."""
    roles = list(user.roles)
    for group in user.groups:
        roles.extend(role for role in group.roles if role not in roles)
    return roles


def is_admin(user) -> bool:
    admin = current_app.config["AUTH_ROLE_ADMIN"]
    return user is not None and any(role.name == admin for role in roles_of(user))


def _holds_role(name: str):
    """SQL condition: the user holds the role, given directly or through a group."""
    role = AbonentUser.roles.property.mapper.class_
    group = AbonentUser.groups.property.mapper.class_
    return db.or_(
        AbonentUser.roles.any(role.name == name),
        AbonentUser.groups.any(group.roles.any(role.name == name)),
    )


def holders_of(role_name: str) -> list[AbonentUser]:
    """The active staff holding a role (directly or through a group), by username; never
    the system user that jobs act as."""
    return list(
        db.session.scalars(
            db.select(AbonentUser)
            .where(
                AbonentUser.active.is_(True),
                AbonentUser.customer_id.is_(None),
                AbonentUser.username != SYSTEM_USERNAME,
                _holds_role(role_name),
            )
            .order_by(AbonentUser.username)
        )
    )


def manageable_condition(actor):
    """Users an actor may see and change: never the system user that jobs act as, and an
    Admin's account only for another Admin."""
    condition = AbonentUser.username != SYSTEM_USERNAME
    if is_admin(actor):
        return condition
    return db.and_(condition, ~_holds_role(current_app.config["AUTH_ROLE_ADMIN"]))


def is_manageable(user_id: int | None, actor) -> bool:
    query = db.select(AbonentUser.id).where(AbonentUser.id == user_id, manageable_condition(actor))
    return db.session.scalar(query) is not None
