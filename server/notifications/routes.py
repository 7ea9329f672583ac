from flask_smorest import Blueprint

from shared_models.enums import Role

from ..auth.decorators import BEARER, current_user, login_required
from . import inbox, preferences, robots
from .schemas import (
    NotificationListArgs,
    NotificationPageSchema,
    NotificationSchema,
    PreferencesSchema,
    PreferencesUpdateSchema,
    ReadAllSchema,
    UnitChannelSchema,
    UnitChannelUpdateSchema,
)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1",
                description="消息通知 Each person's inbox, what they want sent where, each unit's group robot")


@blp.get("/me/notifications")
@blp.arguments(NotificationListArgs, location="query")
@blp.response(200, NotificationPageSchema)
@blp.doc(security=BEARER)
@login_required()
def list_notifications(args):
    """我的消息 The caller's own notifications, newest first (at most ``limit``; ``before_id`` pages on), with
    the unread count"""
    return inbox.page(current_user(), args["limit"], args.get("before_id"), args["unread"])


@blp.post("/me/notifications/<int:notification_id>/read")
@blp.response(200, NotificationSchema)
@blp.doc(security=BEARER)
@login_required()
def read_notification(notification_id):
    """标为已读 One of the caller's own notifications (anyone else's: 404)"""
    return inbox.mark_read(current_user(), notification_id)


@blp.post("/me/notifications/read-all")
@blp.response(200, ReadAllSchema)
@blp.doc(security=BEARER)
@login_required()
def read_all_notifications():
    """全部标为已读 Every unread notification of the caller"""
    return inbox.mark_all_read(current_user())


@blp.get("/me/notification-preferences")
@blp.response(200, PreferencesSchema)
@blp.doc(security=BEARER)
@login_required()
def get_preferences():
    """通知设置 Per kind and channel on or off, quiet hours (Asia/Shanghai), the e-mail address"""
    return preferences.view(current_user())


@blp.put("/me/notification-preferences")
@blp.arguments(PreferencesUpdateSchema)
@blp.response(200, PreferencesSchema)
@blp.doc(security=BEARER)
@login_required()
def put_preferences(data):
    """修改通知设置 What the body names changes; the rest stays"""
    return preferences.update(current_user(), data)


@blp.get("/org-units/<int:unit_id>/notification-channel")
@blp.response(200, UnitChannelSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def get_unit_channel(unit_id):
    """单位群机器人 Whether a unit of the admin's county has its own 企业微信 group robot"""
    return robots.get(current_user(), unit_id)


@blp.put("/org-units/<int:unit_id>/notification-channel")
@blp.arguments(UnitChannelUpdateSchema)
@blp.response(200, UnitChannelSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def put_unit_channel(data, unit_id):
    """设置单位群机器人 The 企业微信 group robot a unit of the admin's county is told on (督办, 交办); null
    removes it"""
    return robots.put(current_user(), unit_id, data)
