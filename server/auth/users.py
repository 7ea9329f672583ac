"""People: scoped queries, creation, and the capabilities each holds (roles at org units)."""
from __future__ import annotations

from sqlalchemy import or_, select

from shared_models.clock import local_today
from shared_models.enums import ROLE_PRECEDENCE, Role

from ..audit import service as audit
from ..errors import ApiError
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import admin_path, scope_path
from .models import RoleGrant, User
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
    if unit is None or not _may_place(actor, unit):
        errors["org_unit_id"] = "网格不存在或不在您的管辖范围 / org unit not found in your scope"
    elif actor is not None and role == Role.ADMIN and unit.path != admin_path(actor):
        errors["role"] = "管理员只能设在本级 / an admin can only be created at your own level"
    if db.session.scalar(select(User.id).where(User.phone == phone)):
        errors["phone"] = "手机号已被使用 / phone already registered"
    if errors:
        raise ApiError("user.invalid", 422, errors=errors)
    user = User(phone=phone, name=name, role=role, org_unit=unit, password_hash=hash_password(password), active=True)
    user.grants.append(RoleGrant(role=role, org_unit=unit))
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", "user", user.id, scope_path=unit.path, subject_id=user.id,
                 after={"phone": phone, "name": name, "role": role, "org_unit": unit.code})
    return user


def _grants(user: User) -> list[dict]:
    return [{"role": g.role, "org_unit": g.org_unit.code} for g in user.grants]


def _may_place(actor: User | None, unit: OrgUnit) -> bool:
    """An admin places people and capabilities in their county; the command line (no actor) anywhere."""
    path = admin_path(actor) if actor is not None else "/"
    return path is not None and unit.path.startswith(path)


def set_roles(actor: User, user: User, wanted: list[dict]) -> User:
    """Replace the capabilities a person holds (``wanted``: [{role, org_unit_id}], each role once, at least one).

    Refused whole when a unit is outside the admin's county, an admin would be placed below the admin's own level
    (so what one person manages lies within one county), an admin would take their own administration away, or a
    capability still in use would be taken away: patrol duty while the person holds a card in force (or is named
    on one as the chief's assistant), supervision
    while cards in force name them as supervisor (reassign those cards first)."""
    from ..cards.models import ResponsibilityCard

    errors: dict[str, str] = {}
    if not wanted:
        errors["roles"] = "至少保留一个角色 / keep at least one role"
    roles = [w["role"] for w in wanted]
    if len(set(roles)) != len(roles):
        errors["roles"] = "同一角色只能设一次 / each role once"
    units: dict[str, OrgUnit] = {}
    for w in wanted:
        unit = db.session.get(OrgUnit, w["org_unit_id"])
        if unit is None or not _may_place(actor, unit):
            errors["org_unit_id"] = "单位不存在或不在您的管辖范围 / org unit not found in your scope"
        elif w["role"] == Role.ADMIN and unit.path != admin_path(actor):
            errors["role"] = "管理员只能设在本级 / an admin can only be placed at your own level"
        else:
            units[w["role"]] = unit
    if user.id == actor.id and Role.ADMIN not in roles:
        errors["roles"] = "不能取消自己的管理员角色 / not your own administration"
    today = local_today()
    in_force = (ResponsibilityCard.valid_to.is_(None)) | (ResponsibilityCard.valid_to >= today)
    if user.holds(Role.INSPECTOR) and Role.INSPECTOR not in roles and db.session.scalar(
            select(ResponsibilityCard.id).where(or_(ResponsibilityCard.inspector_id == user.id,
                                                    ResponsibilityCard.assistant_id == user.id), in_force).limit(1)):
        errors["roles"] = ("此人仍持有在用的责任卡（或是河长的代巡人），请先收回或转交 / the person still holds a "
                           "card in force (or patrols one on a chief's behalf)")
    if user.holds(Role.SUPERVISOR) and Role.SUPERVISOR not in roles and db.session.scalar(
            select(ResponsibilityCard.id).where(ResponsibilityCard.supervisor_id == user.id, in_force).limit(1)):
        errors["roles"] = "仍有在用的责任卡由此人监督，请先改派 / cards in force still name this supervisor"
    if errors:
        raise ApiError("user.invalid", 422, errors=errors)
    before = _grants(user)
    held = {g.role: g for g in user.grants}
    for role in list(held):
        if role not in units:
            user.grants.remove(held.pop(role))
    for role, unit in units.items():
        if role in held:
            held[role].org_unit = unit
        else:
            user.grants.append(RoleGrant(role=role, org_unit=unit))
    user.role = next(r for r in ROLE_PRECEDENCE if r in units)
    db.session.flush()
    audit.record(actor, "user.roles_set", "user", user.id, scope_path=user.org_unit.path, subject_id=user.id,
                 before={"roles": before}, after={"roles": _grants(user)})
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
    audit.record(actor, "user.password_reset", "user", user.id, scope_path=user.org_unit.path, subject_id=user.id)
    return user


def revoke_sessions(actor: User, user: User) -> None:
    """Sign all of a person's devices out (a lost phone)."""
    from .service import revoke_all

    revoke_all(user)
    audit.record(actor, "user.sessions_revoked", "user", user.id, scope_path=user.org_unit.path, subject_id=user.id)


def set_active(actor: User, user: User, active: bool) -> User:
    """Deactivate (a person leaves) or reactivate; nobody is deleted: their patrols and cases stay theirs."""
    from .service import revoke_all

    if user.id == actor.id:
        raise ApiError("user.invalid", 422, errors={"active": "不能停用自己的账号 / not your own account"})
    before = user.active
    user.active = active
    db.session.flush()
    if not active:
        revoke_all(user)
    if before != active:
        audit.record(actor, "user.reactivated" if active else "user.deactivated", "user", user.id,
                     scope_path=user.org_unit.path, subject_id=user.id, before={"active": before},
                     after={"active": active})
    return user
