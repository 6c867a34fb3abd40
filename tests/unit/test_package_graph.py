"""The code's shape: no package of the app imports one that imports it back."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def part_of(module):
    """The package or top-level module of ``app`` that ``module`` belongs to ("billing", "mail", …)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def import_graph():
    graph = {}
    for path in APP.rglob("*.py"):
        source = part_of(".".join(path.relative_to(APP.parent).with_suffix("").parts))
        if source in (None, "__init__"):
            continue  # the app factory wires every part together
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app."):
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names if alias.name.startswith("app.")]
            else:
                continue
            graph.setdefault(source, set()).update(part_of(name) for name in names if part_of(name) != source)
    return graph


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_no_package_imports_one_that_imports_it_back():
    graph = import_graph()
    cycles = sorted(part for part in graph if part in reachable(graph, part))
    assert cycles == []


def test_domain_packages_do_not_read_request_globals():
    flask_globals = {"request", "session", "g", "flash", "current_app"}
    offenders = []
    for package in ("licensing", "terms.py", "exceptions.py"):
        for path in [APP / package] if package.endswith(".py") else (APP / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module == "flask":
                    offenders += [f"{path.name}: {a.name}" for a in node.names if a.name in flask_globals]
    assert offenders == []


# Where a request or the worker is at hand: blueprints, commands, forms, and webhooks.py,
# whose view shares the module with the handlers it calls.
EDGE = {"views", "commands", "forms", "details", "exports", "webhooks"}


def domain_modules():
    for package in ("billing", "licensing", "trials", "support", "contact"):
        for path in (APP / package).rglob("*.py"):
            if not EDGE & set(path.relative_to(APP).with_suffix("").parts):
                yield path
    yield from (APP / "api/installations.py", APP / "api/usage.py", APP / "outbox.py")


def test_domain_modules_leave_flask_and_email_rendering_to_the_edge():
    """The domain says what to send (app/outbox.py); a view or the worker renders it (app/mail.py)."""
    offenders = []
    for path in domain_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(name.split(".")[0] == "flask" or name.startswith("app.mail") for name in names):
                offenders.append(str(path.relative_to(APP)))
    assert sorted(set(offenders)) == []
