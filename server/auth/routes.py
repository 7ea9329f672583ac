from flask import g, request
from flask_smorest import Blueprint
from sqlalchemy import select

from shared_models.enums import Role

from ..errors import NotFound
from ..extensions import db
from ..grids.scope import get_or_404
from ..schemas import View
from ..transaction import unit_of_work
from . import service, users
from .decorators import BEARER, current_user, login_required
from .models import DeviceSession, User, holding
from .schemas import (
    ActiveSchema,
    LoginSchema,
    PasswordResetSchema,
    RefreshSchema,
    RolesSchema,
    SessionSchema,
    TokensSchema,
    UserCreateSchema,
    UserListArgs,
    UserSchema,
)

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录与用户 Sign-in and users")


def _tokens(issued: service.IssuedTokens) -> dict:
    out = {"access_token": issued.access_token, "token_type": "Bearer", "expires_in": issued.expires_in,
           "session_id": issued.session.id, "user": issued.session.user}
    if issued.refresh_token:
        out["refresh_token"] = issued.refresh_token
    return out


@blp.post("/auth/login")
@blp.arguments(LoginSchema)
@blp.response(200, TokensSchema)
def login(data):
    """登录 Sign in with phone and password; returns an access and a refresh token"""
    with unit_of_work():  # (the attempt itself is counted and committed first: auth/throttle.py)
        issued = service.login(data["phone"], data["password"], data["device_id"], data["device_name"],
                               request.remote_addr or "unknown")
    return _tokens(issued)


@blp.post("/auth/refresh")
@blp.arguments(RefreshSchema)
@blp.response(200, TokensSchema)
def refresh(data):
    """刷新 A new access token from the device's refresh token"""
    with unit_of_work():
        return _tokens(service.refresh(data["refresh_token"]))


@blp.post("/auth/logout")
@blp.response(204)
@blp.doc(security=BEARER)
@login_required()
def logout():
    """退出 Sign this device out (its refresh token stops working)"""
    with unit_of_work():
        service.revoke(g.device_session)


@blp.get("/me")
@blp.response(200, UserSchema)
@blp.doc(security=BEARER)
@login_required()
def me():
    """我的信息 The signed-in user"""
    return current_user()


@blp.get("/me/sessions")
@blp.response(200, SessionSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def my_sessions():
    """我的设备 Devices signed in to this account"""
    return [View(s, current=s.id == g.device_session.id) for s in service.active_sessions(current_user())]


@blp.delete("/me/sessions/<string:session_id>")
@blp.response(204)
@blp.doc(security=BEARER)
@login_required()
def revoke_my_session(session_id):
    """注销设备 Sign one of my devices out"""
    session = db.session.scalar(select(DeviceSession).where(
        DeviceSession.id == session_id, DeviceSession.user_id == current_user().id))
    if session is None:
        raise NotFound()
    with unit_of_work():
        service.revoke(session)


@blp.get("/users")
@blp.arguments(UserListArgs, location="query")
@blp.response(200, UserSchema(many=True))
@blp.doc(security=BEARER)
@login_required(Role.ADMIN, Role.SUPERVISOR)
def list_users(args):
    """用户列表 People in the caller's scope"""
    q = users.users_in_scope(current_user())
    if "role" in args:
        q = q.where(holding(args["role"]))
    if "org_unit_id" in args:
        q = q.where(User.org_unit_id == args["org_unit_id"])
    return db.session.scalars(q).all()


@blp.get("/users/<int:user_id>")
@blp.response(200, UserSchema)
@blp.doc(security=BEARER)
@login_required()
def get_user(user_id):
    """用户详情 One person"""
    return get_or_404(users.users_in_scope(current_user()), user_id)


@blp.post("/users")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def create_user(data):
    """新建用户 Create a person in the admin's county"""
    with unit_of_work():
        return users.create_user(current_user(), **data)


@blp.post("/users/<int:user_id>/revoke-sessions")
@blp.response(200, SessionSchema(many=True))
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def revoke_user_sessions(user_id):
    """注销该用户所有设备 Sign all of a person's devices out (e.g. a lost phone)"""
    user = get_or_404(users.users_in_scope(current_user()), user_id)
    with unit_of_work():
        users.revoke_sessions(current_user(), user)
    return service.active_sessions(user)


@blp.put("/users/<int:user_id>/roles")
@blp.arguments(RolesSchema)
@blp.response(200, UserSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def set_user_roles(data, user_id):
    """设置角色 Set the capabilities a person holds, each at an org unit (a township chief patrols and supervises)"""
    user = get_or_404(users.users_in_scope(current_user()), user_id)
    with unit_of_work():
        return users.set_roles(current_user(), user, data["roles"])


@blp.post("/users/<int:user_id>/password")
@blp.arguments(PasswordResetSchema)
@blp.response(200, UserSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def reset_user_password(data, user_id):
    """重置密码 Set a new password for a person in the county; their devices sign in again"""
    user = get_or_404(users.users_in_scope(current_user()), user_id)
    with unit_of_work():
        return users.reset_password(current_user(), user, data["password"])


@blp.post("/users/<int:user_id>/active")
@blp.arguments(ActiveSchema)
@blp.response(200, UserSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def set_user_active(data, user_id):
    """停用/启用账号 Deactivate or reactivate a person (history is kept; nothing is deleted)"""
    user = get_or_404(users.users_in_scope(current_user()), user_id)
    with unit_of_work():
        return users.set_active(current_user(), user, data["active"])
