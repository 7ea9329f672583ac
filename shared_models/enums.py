"""Enumerations both sides agree on."""
from enum import StrEnum


class Role(StrEnum):
    INSPECTOR = "inspector"  # 巡查员
    SUPERVISOR = "supervisor"  # 网格长 / 乡镇河长办
    ADMIN = "admin"  # 县河长办管理员


ROLE_LABELS = {
    Role.INSPECTOR: ("巡查员", "Inspector"),
    Role.SUPERVISOR: ("网格长", "Grid supervisor"),
    Role.ADMIN: ("管理员", "Administrator"),
}

# Default grid hierarchy, top to bottom. A deployment may configure another list
# (e.g. add "city" or "province" above, "group" below); order is what matters.
DEFAULT_ORG_LEVELS = ("province", "city", "county", "township", "village")

ORG_LEVEL_LABELS = {
    "province": ("省", "Province"),
    "city": ("市", "City"),
    "county": ("县/区", "County"),
    "township": ("乡镇/街道", "Township"),
    "village": ("村/社区", "Village"),
}
