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
