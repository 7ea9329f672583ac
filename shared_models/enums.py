"""Enumerations both sides agree on."""
from enum import StrEnum


class Role(StrEnum):
    """A capability a person holds at an org unit; one person may hold several."""

    INSPECTOR = "inspector"  # 巡查员: patrol duty (holds responsibility cards)
    SUPERVISOR = "supervisor"  # 网格长 / 乡镇河长办: supervises a unit
    ADMIN = "admin"  # 县河长办管理员: administers a county
    DEPARTMENT = "department"  # 责任单位: acts for a department or township the cases are assigned to


# a person's first role is the widest they hold
ROLE_PRECEDENCE = (Role.ADMIN, Role.SUPERVISOR, Role.DEPARTMENT, Role.INSPECTOR)


ROLE_LABELS = {
    Role.INSPECTOR: ("巡查员", "Inspector"),
    Role.SUPERVISOR: ("网格长", "Grid supervisor"),
    Role.ADMIN: ("管理员", "Administrator"),
    Role.DEPARTMENT: ("责任单位", "Responsible unit"),
}

class Duty(StrEnum):
    """The duty a responsibility card is held in: the role the county's frequency, validity, scoring and pay
    rules name. Holding any of them needs patrol duty (``Role.INSPECTOR``)."""

    INSPECTOR = "inspector"  # 巡查员
    CLEANER = "cleaner"  # 保洁员
    VILLAGE_CHIEF = "village_chief"  # 村级河长
    TOWNSHIP_CHIEF = "township_chief"  # 乡级河长
    COUNTY_CHIEF = "county_chief"  # 县级河长
    GENERAL_CHIEF = "general_chief"  # 总河长 (the party secretary or head of government of a county or township)


DUTY_LABELS = {
    Duty.INSPECTOR: ("巡查员", "Inspector"),
    Duty.CLEANER: ("保洁员", "Cleaner"),
    Duty.VILLAGE_CHIEF: ("村级河长", "Village river chief"),
    Duty.TOWNSHIP_CHIEF: ("乡级河长", "Township river chief"),
    Duty.COUNTY_CHIEF: ("县级河长", "County river chief"),
    Duty.GENERAL_CHIEF: ("总河长", "General river chief"),
}

# the grid levels a chief's card may be held at (a duty not listed: any level)
DUTY_LEVELS = {
    Duty.VILLAGE_CHIEF: ("village",),
    Duty.TOWNSHIP_CHIEF: ("township",),
    Duty.COUNTY_CHIEF: ("county",),
    Duty.GENERAL_CHIEF: ("county", "township"),
}

# chiefs may name an assistant on their card, who patrols on their behalf (代巡; Guangzhou 2021)
CHIEF_DUTIES = (Duty.VILLAGE_CHIEF, Duty.TOWNSHIP_CHIEF, Duty.COUNTY_CHIEF, Duty.GENERAL_CHIEF)


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


# Default problem taxonomy (issue 6 makes it configurable): code -> (中文, English).
PROBLEM_CATEGORIES = {
    "luan_zhan": ("乱占", "Illegal occupation"),
    "luan_cai": ("乱采", "Illegal sand or soil extraction"),
    "luan_dui": ("乱堆", "Illegal dumping or piling"),
    "luan_jian": ("乱建", "Illegal construction"),
    "garbage": ("垃圾和漂浮物", "Garbage and floating debris"),
    "sewage_outfall": ("排污口", "Sewage outfall"),
    "water_colour": ("水体变色或黑臭", "Discoloured or black-odorous water"),
    "dead_animals": ("死鱼或动物尸体", "Dead fish or animals"),
    "invasive_plants": ("外来入侵植物", "Invasive plants"),
    "damaged_structure": ("设施或公示牌损坏", "Damaged structure or signboard"),
    "other": ("其他", "Other"),
}

SEVERITIES = {
    "general": ("一般", "General"),
    "serious": ("较严重", "Serious"),
    "major": ("重大", "Major"),
}

# What the app records happening to it during a patrol, so a gap can be explained
# (shared_models.track.detectors reads them for the track analysis).
LIFECYCLE_EVENTS = ("started", "paused", "resumed", "killed", "restarted", "gps_lost", "gps_regained",
                    "user_paused", "user_resumed")
