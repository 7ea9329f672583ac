"""People: scoped queries and creation."""
from __future__ import annotations

from sqlalchemy import select

from shared_models.enums import Role

from ..errors import ApiError
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import scope_path
from .models import User
from .passwords import hash_password
from .schemas import PasswordResetSchema, UserCreateSchema


def users_in_scope(user: User):
    path = scope_path(user)
    q = select(User).order_by(User.id)
    if path is None:
        return q.where(User.id == user.id)
    return q.join(OrgUnit, OrgUnit.id == User.org_unit_id).where(OrgUnit.path.startswith(path, autoescape=True))


def create_user(actor: User | None, *, phone: str, name: str, role: str, org_unit_id: int, password: str) -> User:
    """A person who can sign in: the API's own checks (an 11-digit phone, a known role, a password of
    8 or more) for every caller, then the scope and the phone's uniqueness."""
    errors = UserCreateSchema().validate({"phone": phone, "name": name, "role": role, "org_unit_id": org_unit_id,
                                          "password": password})
    if errors:
        raise ApiError("user.invalid", 422, errors=errors)
    unit = db.session.get(OrgUnit, org_unit_id)
    if unit is None or (actor is not None and not unit.path.startswith(actor.org_unit.path)):
        errors["org_unit_id"] = "网格不存在或不在您的管辖范围 / org unit not found in your scope"
    if actor is not None and role == Role.ADMIN and unit is not None and unit.id != actor.org_unit_id:
        errors["role"] = "管理员只能设在本级 / an admin can only be created at your own level"
    if db.session.scalar(select(User.id).where(User.phone == phone)):
        errors["phone"] = "手机号已被使用 / phone already registered"
    if errors:
        raise ApiError("user.invalid", 422, errors=errors)
    user = User(phone=phone, name=name, role=role, org_unit=unit, password_hash=hash_password(password), active=True)
    db.session.add(user)
    db.session.flush()
    return user


def reset_password(actor: User, user: User, password: str) -> User:
    """A new password set by an admin (the person forgot theirs); every device must sign in again."""
    from .service import revoke_all

    errors = PasswordResetSchema().validate({"password": password})
    if errors:
        raise ApiError("user.invalid", 422, errors=errors)
    user.password_hash = hash_password(password)
    db.session.flush()
    revoke_all(user)
    return user


def set_active(actor: User, user: User, active: bool) -> User:
    """Deactivate (a person leaves) or reactivate; nobody is deleted: their patrols and cases stay theirs."""
    from .service import revoke_all

    if user.id == actor.id:
        raise ApiError("user.invalid", 422, errors={"active": "不能停用自己的账号 / not your own account"})
    user.active = active
    db.session.flush()
    if not active:
        revoke_all(user)
    return user
