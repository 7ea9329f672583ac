"""保持巡河不被中断: Chinese phone makers' battery managers stop background recording unless the inspector
lets the app run. The page asks Android to ignore battery optimisations for the app, then opens the maker's
own autostart / background page (the first of its known pages the phone has; else the app's details page),
with one sentence of what to switch there. Shown once before the first patrol, and from the home screen.

The makers' pages are those dontkillmyapp.com and the makers' own help pages name (they move between
system versions, hence several per maker, tried in order). ``system`` is the platform: ``maker()``,
``ignoring_battery_optimizations()``, ``ask_ignore_battery_optimizations()``, ``open_component(package,
activity) -> bool`` (False when the phone has no such page), ``open_settings()``.
"""
from __future__ import annotations

from dataclasses import dataclass

SHOWN_KEY = "keepalive_page_shown"


@dataclass(frozen=True)
class Maker:
    name: str  # as the inspector knows it
    brands: tuple[str, ...]  # Build.MANUFACTURER, lower case
    pages: tuple[tuple[str, str], ...]  # (package, activity) of its autostart / background pages
    what_to_do: str


MAKERS = (
    Maker("小米", ("xiaomi", "redmi", "poco"), (
        ("com.miui.securitycenter", "com.miui.permcenter.autostart.AutoStartManagementActivity"),
        ("com.miui.powerkeeper", "com.miui.powerkeeper.ui.HiddenAppsConfigActivity")),
        "在「自启动管理」里打开「河巡」；再到「省电策略」选「无限制」。"),
    Maker("华为", ("huawei",), (
        ("com.huawei.systemmanager", "com.huawei.systemmanager.startupmgr.ui.StartupNormalAppListActivity"),
        ("com.huawei.systemmanager", "com.huawei.systemmanager.optimize.process.ProtectActivity"),
        ("com.huawei.systemmanager", "com.huawei.systemmanager.appcontrol.activity.StartupAppControlActivity")),
        "在「应用启动管理」里找到「河巡」，关掉「自动管理」，再打开「允许后台活动」。"),
    Maker("荣耀", ("honor",), (
        ("com.hihonor.systemmanager", "com.hihonor.systemmanager.startupmgr.ui.StartupNormalAppListActivity"),
        ("com.huawei.systemmanager", "com.huawei.systemmanager.startupmgr.ui.StartupNormalAppListActivity")),
        "在「应用启动管理」里找到「河巡」，关掉「自动管理」，再打开「允许后台活动」。"),
    Maker("OPPO", ("oppo", "realme", "oneplus"), (
        ("com.coloros.safecenter", "com.coloros.safecenter.permission.startup.StartupAppListActivity"),
        ("com.coloros.safecenter", "com.coloros.safecenter.startupapp.StartupAppListActivity"),
        ("com.oppo.safe", "com.oppo.safe.permission.startup.StartupAppListActivity")),
        "在「自启动管理」里打开「河巡」；在电池设置里允许「河巡」后台运行。"),
    Maker("vivo", ("vivo", "iqoo"), (
        ("com.vivo.permissionmanager", "com.vivo.permissionmanager.activity.BgStartUpManagerActivity"),
        ("com.iqoo.secure", "com.iqoo.secure.ui.phoneoptimize.BgStartUpManager"),
        ("com.iqoo.secure", "com.iqoo.secure.ui.phoneoptimize.AddWhiteListActivity")),
        "在「后台高耗电」或「自启动」里打开「河巡」。"),
    Maker("三星", ("samsung",), (
        ("com.samsung.android.lool", "com.samsung.android.sm.ui.battery.BatteryActivity"),
        ("com.samsung.android.sm_cn", "com.samsung.android.sm.ui.battery.BatteryActivity")),
        "在「电池」里把「河巡」设为「不受限制」，不要放进「休眠应用」。"),
)
OTHER = Maker("手机", (), (), "在应用信息的「电池」里选「不限制」或「允许后台运行」。")

IGNORE_OPTIMISATIONS = "允许河巡在后台运行：在弹出的提示里点「允许」。"


def maker_of(manufacturer: str) -> Maker:
    brand = (manufacturer or "").strip().lower()
    return next((m for m in MAKERS if brand in m.brands), OTHER)


class KeepAlive:
    def __init__(self, system, store) -> None:
        self.system, self.store = system, store
        self.maker = maker_of(system.maker())

    def due(self) -> bool:
        """Shown once before the first patrol (then from the home screen whenever asked)."""
        return self.store.get_meta(SHOWN_KEY) is None

    def shown(self) -> None:
        self.store.set_meta(SHOWN_KEY, "1")

    def text(self) -> str:
        first = "" if self.system.ignoring_battery_optimizations() else IGNORE_OPTIMISATIONS + "\n"
        return f"{first}{self.maker.name}手机：{self.maker.what_to_do}"

    def ask_battery(self) -> None:
        if not self.system.ignoring_battery_optimizations():
            self.system.ask_ignore_battery_optimizations()

    def open_maker_page(self) -> str:
        """The maker's page if the phone has one of them, else the app's details page; says which."""
        for package, activity in self.maker.pages:
            if self.system.open_component(package, activity):
                return f"{package}/{activity}"
        self.system.open_settings()
        return "app_details"
