"""Layering rules the design depends on, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_DOMAIN = {
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "aiohttp",
    "apscheduler",
    "bot",
    "handlers",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "stories").rglob("*.py")), ids=lambda p: p.name)
def test_domain_imports_no_platform_or_runtime_library(path: Path) -> None:
    assert not (_imports(path) & FORBIDDEN_IN_DOMAIN), f"{path} imports a platform library"


def test_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    # The rule above is only worth something if the checker catches both import forms.
    sample = tmp_path / "sample.py"
    sample.write_text("import slack_sdk.web\nfrom aiohttp import web\n")
    assert _imports(sample) == {"slack_sdk", "aiohttp"}


def _module_level_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = []
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name | ast.Attribute):
            name = value.func.id if isinstance(value.func, ast.Name) else value.func.attr
            calls.append(name)
    return calls


BUILT_AT_IMPORT = {
    "App",
    "AsyncApp",
    "Settings",
    "create_engine",
    "create_db_engine",
    "CloudAdapter",
    "AsyncIOScheduler",
    "build_runtime",
    "load_settings",
}


@pytest.mark.parametrize(
    "path",
    sorted(p for d in ("bot", "handlers", "stories") for p in (ROOT / d).rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_nothing_heavy_is_built_at_import_time(path: Path) -> None:
    assert not (set(_module_level_calls(path)) & BUILT_AT_IMPORT)


# --- size: small units, split by responsibility -------------------------------------------------

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
SOURCES = sorted(
    p
    for d in ("bot", "handlers", "stories")
    for p in (ROOT / d).rglob("*.py")
    if "migrations" not in p.parts
)


def _long_functions(path: Path, limit: int) -> list[str]:
    """Functions longer than ``limit`` lines, decorators and docstring included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - start + 1
            if length > limit:
                found.append(f"{node.name} ({length} lines)")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{lines} lines: split it by responsibility"
    assert _long_functions(path, MAX_FUNCTION_LINES) == []


def test_the_size_checker_sees_a_long_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    sample.write_text(
        f"@decorated\ndef long() -> None:\n{body}\n\n\ndef short() -> None:\n    pass\n"
    )
    assert _long_functions(sample, MAX_FUNCTION_LINES) == ["long (63 lines)"]
