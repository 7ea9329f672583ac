"""The structure's rules hold on the code (scripts/check_structure.py): no import cycles, no module
reaching into another domain's routes, shared_models free of Flask/SQLAlchemy/Kivy, modules small, and
one place that commits."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_structure", ROOT / "scripts" / "check_structure.py")
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


def test_the_code_keeps_the_structures_rules():
    assert check.findings() == []


def test_the_check_finds_each_kind_of_breach(tmp_path):
    def write(rel: str, text: str) -> None:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    for package in ("server", "server/cards", "server/patrols", "shared_models", "mobile"):
        write(f"{package}/__init__.py", "")
    write("server/cards/service.py", "def f():\n    from ..patrols.service import g  # inside a function\n")
    write("server/patrols/service.py", "from ..cards.service import f\n")
    write("server/cards/routes.py", "")
    write("server/patrols/routes.py", "from ..cards.routes import blp\n")
    write("shared_models/contract.py", "import sqlalchemy\n")
    write("mobile/big.py", "x = 1\n" * 451)
    write("server/cards/commands.py", "def f(db):\n    db.session.commit()\n")
    found = "\n".join(check.findings(tmp_path))
    assert "import cycle: server.cards.service <-> server.patrols.service" in found
    assert "server/patrols/routes.py:1: imports another domain's routes (server.cards.routes)" in found
    assert "shared_models/contract.py:1: shared_models imports sqlalchemy" in found
    assert "mobile/big.py: 451 lines" in found
    assert "server/cards/commands.py:2: commits the session" in found
