"""core/ is the domain: it must not know Telegram or any database driver."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"
FORBIDDEN = {"telegram", "sqlalchemy", "aiosqlite", "asyncpg", "alembic", "storage", "handlers"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_neither_telegram_nor_a_database_driver() -> None:
    leaks = {
        path.name: sorted(imported_roots(path) & FORBIDDEN) for path in sorted(CORE.glob("*.py"))
    }
    assert {name: found for name, found in leaks.items() if found} == {}
    assert len(leaks) >= 5  # the walk really saw the core modules


def test_the_organizers_tools_need_neither_telegram_nor_a_database() -> None:
    """An organizer tries and converts surveys on a laptop with only the survey files."""
    leaks = {
        path.relative_to(ROOT).as_posix(): sorted(imported_roots(path) & FORBIDDEN)
        for path in sorted((ROOT / "authoring").rglob("*.py"))  # xlsform/ is a package
    }
    assert {name: found for name, found in leaks.items() if found} == {}
    assert len(leaks) >= 4


def test_the_operators_commands_stand_beside_bot_py_without_telegram() -> None:
    """cli/ is floor 6 beside bot.py: bot.py imports it, never the other way round, and the
    operators' commands reach no Telegram (they work on a server without a token)."""
    leaks = {
        path.relative_to(ROOT).as_posix(): sorted(
            imported_roots(path) & {"bot", "telegram", "handlers", "runtime", "tests"}
        )
        for path in sorted((ROOT / "cli").glob("*.py"))
    }
    assert {name: found for name, found in leaks.items() if found} == {}
    assert len(leaks) >= 3
    assert "cli" in imported_roots(ROOT / "bot.py")


def test_the_web_view_stands_beside_the_telegram_adapter() -> None:
    """web/ is floor 4 beside handlers/: the same core, storage and exports, never Telegram
    (nor the runtime that mounts it), so the web view cannot reach around the area rules."""
    leaks = {
        path.relative_to(ROOT).as_posix(): sorted(
            imported_roots(path) & {"telegram", "handlers", "runtime", "bot", "cli", "tests"}
        )
        for path in sorted((ROOT / "web").glob("*.py"))
    }
    assert {name: found for name, found in leaks.items() if found} == {}
    assert len(leaks) >= 5


# handlers/'s shared ground (docs/architecture.md, "handlers/ — the Telegram adapter"): the
# floors every feature may stand on. Every other module there is a feature.
HANDLERS_GROUND = {
    "__init__",
    "context",
    "buttons",
    "reply",
    "outcome",
    "render",
    "common",
    "home",
    "guard",
    "admin",
    "menus",
    "privacy",
    "progress",
    "errors",
    "metoo",
}


def handlers_imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "handlers" and len(parts) > 1:
                found.add(parts[1])
            elif node.module == "handlers":
                found.update(alias.name for alias in node.names)
    return found


def test_a_feature_of_the_telegram_adapter_imports_no_other_feature() -> None:
    """A feature (moderation, forward, walk, ...) stands on the shared ground only: what two
    features share goes down a floor, so that each can change without the other."""
    features = sorted(
        path for path in (ROOT / "handlers").glob("*.py") if path.stem not in HANDLERS_GROUND
    )
    reaching = {
        path.stem: sorted(handlers_imported(path) - HANDLERS_GROUND - {path.stem})
        for path in features
    }
    assert {name: found for name, found in reaching.items() if found} == {}
    assert len(features) >= 15
    # ...and the ground stands on no feature (only __init__ registers them all).
    below = {
        name: sorted(handlers_imported(ROOT / "handlers" / f"{name}.py") - HANDLERS_GROUND)
        for name in sorted(HANDLERS_GROUND - {"__init__"})
    }
    assert {name: found for name, found in below.items() if found} == {}
