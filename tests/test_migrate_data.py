"""Moving a running SQLite deployment to PostgreSQL: nothing lost, and it says what moved."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import bot as torget
from core.contributions import Kind, NewContribution, TimeOfDay
from storage import create_store
from storage.base import Store
from tests.postgres import POSTGRES_URL, empty_postgres
from tests.test_store_contract import NOW, session


async def snapshot(store: Store) -> tuple[list[Any], list[Any], list[Any]]:
    responses = [(r.pseudonym, r.status, dict(r.answers)) async for r in store.export_responses()]
    contributions = [
        (c.id, c.text, c.lat, c.time_of_day) async for c in store.export_contributions()
    ]
    residents = [await store.get_resident(p) for p in ("a" * 32, "b" * 32)]
    return responses, contributions, residents


async def test_migrate_data_copies_everything_to_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await empty_postgres()
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    old = create_store(url)
    await old.open()
    for number, pseudonym in enumerate(("a" * 32, "b" * 32)):
        assert await old.consent(number + 1, pseudonym, 4242 + number, "sv", NOW)
    assert await old.set_subscription(3, "a" * 32, news=True)
    response = await old.start_response(4, "a" * 32, session(q1=None, q2=["x", "y"]))
    assert response is not None
    draft = await old.start_response(5, "b" * 32, session("tip"))
    assert draft is not None
    tip = NewContribution(
        kind=Kind.TIP,
        category="lighting",
        text="Mörkt",
        lat=56.04,
        lon=12.69,
        time_of_day=TimeOfDay.NIGHT,
    )
    await old.submit_contribution(6, draft, "b" * 32, tip, NOW, based_on=0)
    await old.announce("auto:soder", "soder", NOW)
    before = await snapshot(old)
    await old.close()

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    result = await asyncio.to_thread(torget.main, ["migrate-data", "--to", POSTGRES_URL])
    assert result == 0
    said = capsys.readouterr().out
    assert "residents                     2 row(s)" in said and "outbox" in said

    new = create_store(POSTGRES_URL)
    await new.open()
    try:
        assert await snapshot(new) == before
        # New rows get new ids, never one of a deleted row (old buttons carry ids).
        assert await new.start_response(7, "a" * 32, session("centrum")) == response + 2
        assert await new.claim_update(8) and not await new.claim_update(6)  # claims moved
    finally:
        await new.close()
    # Copying again into a database that has residents is refused.
    again = await asyncio.to_thread(torget.main, ["migrate-data", "--to", POSTGRES_URL])
    assert again == 1
    assert "Nothing copied" in capsys.readouterr().err
