"""QR codes for posters and lampposts: they scan back to the link that opens the bot."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

import bot as torget
from exports.qr import deep_link, write_qr_png
from tests.conftest import TEST_SURVEYS


def test_the_printed_code_scans_back_to_the_link(tmp_path: Path) -> None:
    link = deep_link("@TorgetBot", "tip_stationen")
    assert link == "https://t.me/TorgetBot?start=tip_stationen"
    out = tmp_path / "stationen.png"
    write_qr_png(link, out)
    image = Image.open(out)
    [found] = zxingcpp.read_barcodes(image)
    assert found.text == link
    assert image.height > image.width  # the link is written under the code


@pytest.mark.parametrize("code", ["tip stationen", "tip_torget_å", "a" * 65, ""])
def test_a_code_telegram_would_not_pass_on_is_refused(code: str) -> None:
    with pytest.raises(ValueError, match="cannot be a start code"):
        deep_link("TorgetBot", code)


def test_the_qr_command_checks_the_code_leads_somewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SURVEYS_DIR", str(TEST_SURVEYS))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    # The codes are checked against the stored campaigns (the folder imported first).
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'qr.db'}")
    out = tmp_path / "furutorp.png"
    args = ["qr", "--start", "tip_furutorp", "--out", str(out), "--bot", "torget_test_bot"]
    assert torget.main(args) == 0
    [found] = zxingcpp.read_barcodes(Image.open(out))
    assert found.text == "https://t.me/torget_test_bot?start=tip_furutorp"
    missing = ["qr", "--start", "tip_nowhere", "--out", str(out), "--bot", "torget_test_bot"]
    assert torget.main(missing) == 1
    assert "No place 'nowhere'" in capsys.readouterr().err
