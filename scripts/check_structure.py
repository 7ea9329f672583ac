"""The structure's rules, checked on the source (no import of it): `python scripts/check_structure.py`.

- no import cycles among the modules of server/, shared_models/ and mobile/, counting imports made
  inside functions (a package's implicit import of its parents is not counted, as import tools do);
- no module imports another domain's routes (a domain: a package under server/), the app factory
  (server/__init__.py) aside;
- shared_models imports no Flask, SQLAlchemy or Kivy (the phone and the server both run it);
- no module over 450 lines;
- only the unit of work commits the database session (server/transaction.py), and the sign-in
  counters, which are counted whatever the request does next (server/auth/throttle.py).

Prints one line per finding and exits 1 when there is any; tests/test_structure.py runs it (and shows it
finds each kind of breach).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "shared_models", "mobile")
MAX_LINES = 450
COMMITTERS = ("server.transaction", "server.auth.throttle")
NOT_IN_SHARED = ("flask", "flask_sqlalchemy", "flask_smorest", "sqlalchemy", "geoalchemy2", "kivy", "werkzeug")


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue  # Alembic loads these by path; they are not imported
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known]
            out += [(sub, node.lineno) for sub in submodules]
            if len(submodules) < len(node.names):  # names from the module itself, not only its submodules
                out.append((target, node.lineno))
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, result, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        result.append(sorted(component))
    return result


def commits_of(path: Path) -> list[int]:
    """Lines that commit a session (``<...>.session.commit()``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "session"]


def _domain(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "server" and len(parts) > 2 else None


def findings(root: Path = ROOT) -> list[str]:
    found = modules(root)
    known = set(found)
    graph: dict[str, set[str]] = {name: set() for name in found}
    out = []
    for name, path in found.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            out.append(f"{path.relative_to(root)}: {lines} lines (at most {MAX_LINES})")
        if name.startswith("server") and name not in COMMITTERS:
            out += [f"{path.relative_to(root)}:{line}: commits the session (a unit of work does: server/transaction.py)"
                    for line in commits_of(path)]
        for target, line in imports_of(name, path, known):
            if target in known and target != name:
                graph[name].add(target)
            top = target.split(".")[0]
            if name.startswith("shared_models") and top in NOT_IN_SHARED:
                out.append(f"{path.relative_to(root)}:{line}: shared_models imports {target}")
            if (target.endswith(".routes") and _domain(target) and _domain(target) != _domain(name)
                    and name != "server"):
                out.append(f"{path.relative_to(root)}:{line}: imports another domain's routes ({target})")
    for component in _cycles(graph):
        out.append("import cycle: " + " <-> ".join(component))
    return out


def main() -> int:
    problems = findings()
    for line in problems:
        print(line)
    print(f"{len(problems)} finding(s) in {len(modules())} modules", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
