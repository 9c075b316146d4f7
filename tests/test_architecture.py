"""What import-linter cannot see: where in a file an import sits.

- A task imports its service inside its body (the services import the tasks they enqueue at the
  top); the pairs are the ones pyproject.toml's acyclic contract lets through.
- Any other import inside a function says why, in a comment on its line or the line above.
"""

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "contracts", "subscriptions", "billing", "quotes", "portal")


def module_path(module: str) -> Path:
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def imported_module(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    return [alias.name for alias in node.names]


def task_body_pairs() -> list[tuple[str, str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (acyclic,) = [c for c in config["contracts"] if c["type"] == "acyclic_siblings"]
    return [tuple(part.strip() for part in pair.split("->")) for pair in acyclic["ignore_imports"]]


def source_files() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


@pytest.mark.parametrize(("tasks", "service"), task_body_pairs())
def test_a_task_imports_its_service_only_inside_its_body(tasks, service):
    assert tasks.endswith(".tasks"), "only task modules may defer importing their services"
    tree = ast.parse(module_path(tasks).read_text())
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert not [n for n in top if service in imported_module(n)], (
        f"{tasks} imports {service} at the top"
    )
    inside = [
        n
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef)
        for n in ast.walk(fn)
        if isinstance(n, ast.Import | ast.ImportFrom) and service in imported_module(n)
    ]
    assert inside, f"{tasks} no longer imports {service}: drop the pair from pyproject.toml"


def test_every_other_deferred_import_says_why():
    allowed = {(module_path(tasks), service) for tasks, service in task_body_pairs()}
    unexplained = []
    for path in source_files():
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                if any((path, module) in allowed for module in imported_module(node)):
                    continue
                said = "#" in lines[node.lineno - 1] or lines[node.lineno - 2].strip().startswith(
                    "#"
                )
                if not said:
                    unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not unexplained, "deferred imports without a comment saying why: " + ", ".join(
        unexplained
    )


def test_the_web_contract_ignores_the_imports_of_exactly_the_modules_it_forbids():
    """The domain contract holds every module to it unless its name says it is web; a web name
    forbidden without its own imports ignored (or ignored without being forbidden) is a slip."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (web,) = [c for c in config["contracts"] if c["name"].startswith("The domain never")]
    assert web["source_modules"] == ["**"]
    importers = [pair.split("->")[0].strip() for pair in web["ignore_imports"]]
    assert sorted(importers) == sorted(web["forbidden_modules"])
    assert all(pair.split("->")[1].strip() == "**" for pair in web["ignore_imports"])
