"""The organizer's and operator's command line: validate, and a clear refusal to start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bot as torget
from config import Settings
from tests.conftest import ROOT, TEST_SURVEYS


def run_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=cwd,
        timeout=60,
    )


def test_validate_accepts_good_files_and_names_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert torget.main(["validate", str(TEST_SURVEYS)]) == 0
    out = capsys.readouterr().out
    assert "ok  test-kvall: 8 questions" in out


def test_validate_fails_with_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = (TEST_SURVEYS / "kvall.yaml").read_text(encoding="utf-8")
    broken = broken.replace("type: location", "type: geopoint")
    (tmp_path / "soder.yaml").write_text(broken, encoding="utf-8")
    assert torget.main(["validate", str(tmp_path / "soder.yaml")]) == 1
    err = capsys.readouterr().err
    assert (
        f"{tmp_path / 'soder.yaml'} line 17, question 'where': type 'geopoint' is unknown; " in err
    )
    assert "did you mean 'location'?" in err
    assert "1 problem(s) found." in err


def test_shipped_campaigns_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert torget.main(["validate", str(ROOT / "surveys")]) == 0
    assert capsys.readouterr().out.count("ok  ") >= 2


def test_run_without_a_token_points_to_botfather(tmp_path: Path) -> None:
    result = run_bot("run", env={"SURVEYS_DIR": str(TEST_SURVEYS)}, cwd=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "@BotFather" in result.stderr


def test_run_refuses_an_invalid_survey_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "surveys").mkdir()
    (tmp_path / "surveys" / "bad.yaml").write_text("id: bad\ntitle: x\n", encoding="utf-8")
    env = {"TELEGRAM_BOT_TOKEN": "123:TEST", "SURVEYS_DIR": str(tmp_path / "surveys")}
    result = run_bot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Torget cannot start: a survey file has problems." in result.stderr
    assert "bad.yaml line 2: 'title' needs both languages" in result.stderr
    assert "123:TEST" not in result.stderr + result.stdout


def huge_survey(folder: Path) -> Path:
    """An 11 MB survey file, as sparse as the disk allows: the size is all that is looked at."""
    folder.mkdir(exist_ok=True)
    path = folder / "export-by-mistake.yaml"
    with path.open("wb") as handle:
        handle.truncate(11 * 1024 * 1024)
    return path


def test_validate_refuses_a_file_too_large_to_be_a_survey(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = huge_survey(tmp_path / "surveys")
    (tmp_path / "surveys" / "kvall.yaml").write_bytes((TEST_SURVEYS / "kvall.yaml").read_bytes())
    assert torget.main(["validate", str(tmp_path / "surveys")]) == 1
    err = capsys.readouterr().err
    assert f"{huge}: the file is 11.0 MB; a survey file may be at most 1 MB (even one" in err
    assert "1 problem(s) found." in err


def test_run_refuses_to_start_with_a_file_too_large(tmp_path: Path) -> None:
    huge = huge_survey(tmp_path / "surveys")
    env = {"TELEGRAM_BOT_TOKEN": "123:TEST", "SURVEYS_DIR": str(tmp_path / "surveys")}
    result = run_bot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Torget cannot start: a survey file has problems." in result.stderr
    assert f"{huge}: the file is 11.0 MB; a survey file may be at most 1 MB" in result.stderr


def test_settings_read_the_documented_variable_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:TEST")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///elsewhere.db")
    monkeypatch.setenv("ADMIN_IDS", "111, 222")
    monkeypatch.setenv("SURVEYS_DIR", "kampanjer")
    monkeypatch.setenv("PSEUDONYM_SECRET", "s" * 32)
    settings = Settings(_env_file=None)
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:TEST"
    assert "123:TEST" not in repr(settings)
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.database_url == "sqlite+aiosqlite:///elsewhere.db"
    assert settings.admin_ids == (111, 222)
    assert settings.surveys_dir == Path("kampanjer")
