"""The screens, by area; their layout is in kv/*.kv, matched by class name.

Importing this package defines (and so registers with Kivy's Factory) every screen and MapView,
which the kv files name: import it before they are loaded.
"""
from .home import CardScreen, HomeScreen, LoginScreen
from .inbox import InboxScreen
from .lists import HistoryScreen, OutboxScreen
from .month import MonthScreen
from .patrol import FinishScreen, PatrolScreen
from .permission import KeepAliveScreen, PermissionScreen
from .problem import ProblemScreen
from .tasks import RecheckScreen, TasksScreen
from .widgets import Confirm, MapView, Panel

__all__ = ["CardScreen", "Confirm", "FinishScreen", "HistoryScreen", "HomeScreen", "InboxScreen", "KeepAliveScreen",
           "LoginScreen", "MapView", "MonthScreen", "OutboxScreen", "Panel", "PatrolScreen", "PermissionScreen",
           "ProblemScreen", "RecheckScreen", "TasksScreen"]
