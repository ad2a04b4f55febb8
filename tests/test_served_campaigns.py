"""Campaigns are served from the database: the folder is imported as versions at start-up, a
resident finishes on the version they began, and every replica serves what any one stored."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

import core.campaigns as campaigns_module
from core.campaigns import Deployment, Schedule, Shelf
from core.loader import SurveyFileError, parse_survey
from core.survey import Survey
from storage.definitions import DefinitionKind
from tests.conftest import BEFORE_0014, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import FakeTelegram, Resident

FIRST = """
id: torget-kvall
title: {sv: "Torget på kvällen", en: "The square at night"}
opens: 2026-11-01T08:00:00+01:00
questions:
  - id: safe
    type: select_one
    text: {sv: "Känns torget tryggt när det är mörkt?", en: "Does the square feel safe at night?"}
    choices:
      - {id: "yes", label: {sv: "Ja", en: "Yes"}}
      - {id: "no", label: {sv: "Nej", en: "No"}}
  - id: words
    type: text
    text: {sv: "Vad skulle göra torget bättre?", en: "What would make the square better?"}
"""
# The organizers' second version: the last question asked differently, and one more.
SECOND = (
    FIRST.replace("Vad skulle göra torget bättre?", "Vad saknar du på torget?")
    + """
  - id: often
    type: select_one
    text: {sv: "Hur ofta är du här?", en: "How often are you here?"}
    choices:
      - {id: weekly, label: {sv: "Varje vecka", en: "Every week"}}
      - {id: seldom, label: {sv: "Sällan", en: "Seldom"}}
"""
)
TITLE = "Torget på kvällen"


def folder(tmp_path: Path, survey: str = FIRST) -> Path:
    surveys = tmp_path / "surveys"
    surveys.mkdir(exist_ok=True)
    (surveys / "torget.yaml").write_text(survey, encoding="utf-8")
    return surveys


async def half_way(bot: Bot, user_id: int = 1001) -> Resident:
    """A resident who has answered the first question."""
    resident = bot.resident(user_id)
    await resident.onboard(news="Nej tack")
    await resident.click(TITLE)
    await resident.click("Nej")
    return resident


async def finish(resident: Resident, words: str) -> None:
    await resident.send(words)
    await resident.click("Skicka in")
    assert "Tack" in resident.last_text()


async def versions(bot: Bot) -> list[tuple[int, str]]:
    history = await bot.services.store.definition_history(DefinitionKind.SURVEY, "torget-kvall")
    return [(definition.version, definition.origin) for definition in reversed(history)]


async def test_an_upgrade_serves_the_files_and_finishes_answers_begun_before_it(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(tmp_path, folder(tmp_path))
    bot = await start_bot(settings, clock)
    resident = await half_way(bot)
    await bot.stop()
    # The database as Torget left it before campaigns were stored (revision 0007).
    engine = bot.services.store
    await engine.open()
    async with engine.engine.begin() as connection:  # type: ignore[attr-defined]
        for step in (
            "UPDATE responses SET state = json_remove(state, '$.survey_version')",
            "DROP TABLE definitions",
            "DROP TABLE uploads",
            "DROP TABLE prompts",
            "DROP TABLE organizers",
            "DROP TABLE invitations",
            "DROP TABLE audit_log",
            "DROP TABLE web_links",
            "DROP TABLE web_sessions",
            "DROP TABLE photos",
            "ALTER TABLE responses DROP COLUMN survey_version",
            "ALTER TABLE responses DROP COLUMN trial",
            *BEFORE_0014,
            "UPDATE alembic_version SET version_num = '0007'",
        ):
            await connection.execute(text(step))
    await engine.close()

    bot = await start_bot(settings, clock, bot.fake)  # no step by hand: the upgrade is all
    try:
        assert await versions(bot) == [(1, "file:torget.yaml")]
        on_restarted = Resident(bot.app, bot.fake, user_id=resident.chat_id)
        assert "Vad skulle göra torget bättre?" in on_restarted.texts()[-1]
        await finish(on_restarted, "Mer ljus")
        [row] = [r async for r in bot.services.store.export_responses("torget-kvall")]
        assert dict(row.answers) == {"safe": "no", "words": "Mer ljus"}
    finally:
        await bot.stop()


async def test_a_changed_file_at_restart_is_version_2_and_who_began_on_1_finishes_on_1(
    tmp_path: Path, clock: FakeClock, database: str
) -> None:
    surveys = folder(tmp_path)
    bot = await start_bot(settings_for(tmp_path, surveys, database_url=database), clock)
    try:
        began = await half_way(bot, 1001)
        (surveys / "torget.yaml").write_text(SECOND, encoding="utf-8")
        await bot.restart()
        assert await versions(bot) == [(1, "file:torget.yaml"), (2, "file:torget.yaml")]
        assert bot.services.campaigns.version_of("torget-kvall") == 2

        began = Resident(bot.app, bot.fake, user_id=began.chat_id)
        await began.send("/start")
        await began.click("Fortsätt")
        assert "Vad skulle göra torget bättre?" in began.last_text()  # version 1's words
        await finish(began, "Mer ljus")  # and no third question

        newcomer = await half_way(bot, 1002)
        assert "Vad saknar du på torget?" in newcomer.last_text()
        await newcomer.send("Bänkar")
        assert "Hur ofta är du här?" in newcomer.last_text()
        await newcomer.click("Sällan")
        await newcomer.click("Skicka in")

        store = bot.services.store
        pseudonyms = [bot.services.pseudonymize(user) for user in (1001, 1002)]
        responses = [await store.latest_response(p, "torget-kvall") for p in pseudonyms]
        assert [r.session.survey_version for r in responses if r] == [1, 2]
    finally:
        await bot.stop()


async def test_starting_over_after_a_new_version_begins_on_the_new_version(
    tmp_path: Path, clock: FakeClock
) -> None:
    surveys = folder(tmp_path)
    bot = await start_bot(settings_for(tmp_path, surveys), clock)
    try:
        began = await half_way(bot)
        (surveys / "torget.yaml").write_text(SECOND, encoding="utf-8")
        await bot.restart()
        again = Resident(bot.app, bot.fake, user_id=began.chat_id)
        await again.send("/start")
        await again.click("↺ Börja om")
        await again.click("Ja")
        assert "Vad saknar du på torget?" in again.last_text()
    finally:
        await bot.stop()


async def test_a_file_that_disappears_keeps_its_campaign(tmp_path: Path, clock: FakeClock) -> None:
    surveys = folder(tmp_path)
    bot = await start_bot(settings_for(tmp_path, surveys), clock)
    try:
        (surveys / "torget.yaml").unlink()
        await bot.restart()
        resident = bot.resident()
        await resident.onboard(news="Nej tack")
        assert TITLE in resident.buttons()
        assert await versions(bot) == [(1, "file:torget.yaml")]
    finally:
        await bot.stop()


async def test_a_broken_file_at_restart_keeps_the_stored_version_and_names_the_file(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    surveys = folder(tmp_path)
    bot = await start_bot(settings_for(tmp_path, surveys), clock)
    try:
        broken = FIRST.replace('id: "no"', 'id: "yes"')  # two choices with one id
        (surveys / "torget.yaml").write_text(broken, encoding="utf-8")
        with caplog.at_level(logging.WARNING):
            await bot.restart()
        assert any("torget.yaml has problems" in r.getMessage() for r in caplog.records)
        resident = await half_way(bot)
        assert "Vad skulle göra torget bättre?" in resident.last_text()
        assert await versions(bot) == [(1, "file:torget.yaml")]
    finally:
        await bot.stop()


async def test_a_new_broken_file_beside_stored_campaigns_is_left_out_and_the_bot_runs(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    surveys = folder(tmp_path)
    bot = await start_bot(settings_for(tmp_path, surveys), clock)
    try:
        new = FIRST.replace("torget-kvall", "torget-natt").replace("type: text", "type: txt")
        (surveys / "natt.yaml").write_text(new, encoding="utf-8")
        with caplog.at_level(logging.WARNING):
            await bot.restart()  # residents are still answered
        assert any("natt.yaml has problems" in r.getMessage() for r in caplog.records)
        resident = await half_way(bot)
        assert "Vad skulle göra torget bättre?" in resident.last_text()
        assert bot.services.campaigns.get("torget-natt") is None
    finally:
        await bot.stop()


async def test_a_broken_file_with_nothing_stored_stops_the_start_and_says_why(
    tmp_path: Path, clock: FakeClock
) -> None:
    surveys = folder(tmp_path, FIRST.replace("type: text", "type: txt"))
    with pytest.raises(SurveyFileError) as raised:
        await start_bot(settings_for(tmp_path, surveys), clock)
    assert "torget.yaml line" in str(raised.value) and "'txt'" in str(raised.value)


async def test_a_version_stored_by_one_replica_is_served_by_the_other_after_its_refresh(
    tmp_path: Path, clock: FakeClock, database: str
) -> None:
    settings = settings_for(tmp_path, folder(tmp_path), database_url=database)
    telegram = FakeTelegram()  # one Telegram, two bots behind it
    a = await start_bot(settings, clock, telegram)
    b = await start_bot(settings, clock, telegram)
    try:
        saved = await a.services.store.save_definition(
            DefinitionKind.SURVEY,
            "torget-kvall",
            SECOND,
            clock(),
            origin="telegram",
            author=None,
            based_on=1,
        )
        assert saved.version == 2
        # B has not looked yet: it serves version 1 until its refresh.
        assert b.services.campaigns.version_of("torget-kvall") == 1
        assert b.services.refresh_campaigns is not None
        await b.services.refresh_campaigns()
        assert b.services.campaigns.version_of("torget-kvall") == 2
        resident = await half_way(b, 1003)
        assert "Vad saknar du på torget?" in resident.last_text()
    finally:
        await a.stop()
        await b.stop()


async def test_a_resident_begun_on_a_version_this_replica_has_not_built_yet_is_served_on_it(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(tmp_path, folder(tmp_path))
    telegram = FakeTelegram()
    a = await start_bot(settings, clock, telegram)
    b = await start_bot(settings, clock, telegram)
    try:
        await a.services.store.save_definition(
            DefinitionKind.SURVEY,
            "torget-kvall",
            SECOND,
            clock(),
            origin="telegram",
            author=None,
            based_on=1,
        )
        assert a.services.refresh_campaigns is not None
        await a.services.refresh_campaigns()  # as the handler that saved it does
        on_a = await half_way(a, 1004)
        assert "Vad saknar du på torget?" in on_a.last_text()
        # Their next message reaches B, whose refresh loop has not come round yet.
        on_b = Resident(b.app, b.fake, user_id=1004)
        await on_b.send("Bänkar")
        assert "Hur ofta är du här?" in on_b.last_text()
    finally:
        await a.stop()
        await b.stop()


async def test_a_reload_on_one_replica_is_served_by_the_other_after_the_schedulers_round(
    tmp_path: Path, clock: FakeClock
) -> None:
    surveys = folder(tmp_path)
    settings = settings_for(tmp_path, surveys)
    telegram = FakeTelegram()
    a = await start_bot(settings, clock, telegram)
    b = await start_bot(settings, clock, telegram)
    try:
        (surveys / "torget.yaml").write_text(SECOND, encoding="utf-8")
        admin = a.admin()
        await admin.onboard(news="Nej tack")
        await admin.send("/reload")
        assert "Ändrade: <code>torget-kvall</code>" in admin.last_text()
        assert a.services.campaigns.version_of("torget-kvall") == 2
        assert b.services.campaigns.version_of("torget-kvall") == 1
        await b.tick()  # the minute's round refreshes too, besides the refresh loop
        assert b.services.campaigns.version_of("torget-kvall") == 2
        await admin.send("/reload")  # the same folder again: nothing new
        assert "Ändrade" not in admin.last_text()
        assert await versions(a) == [(1, "file:torget.yaml"), (2, "file:torget.yaml")]
    finally:
        await a.stop()
        await b.stop()


# ---- the shelf: stored texts into Campaigns ----------------------------------------------
@dataclass(frozen=True)
class Stored:
    kind: str
    name: str
    version: int
    source: str


def test_every_version_is_served_with_the_current_dates_and_each_text_parsed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []

    def counting(text: str, shown: str) -> Survey:
        parsed.append(shown)
        return parse_survey(text, shown)

    monkeypatch.setattr(campaigns_module, "parse_survey", counting)
    shelf = Shelf(Deployment(), lambda lang, text: text)
    stored = [Stored("survey", "torget-kvall", 1, FIRST)]
    campaigns = shelf.build(stored)
    assert campaigns.version_of("torget-kvall") == 1
    stored.append(Stored("survey", "torget-kvall", 2, SECOND))
    campaigns = shelf.build(stored)
    assert parsed == ["survey torget-kvall version 1", "survey torget-kvall version 2"]

    closed = datetime(2026, 11, 20, tzinfo=UTC)
    campaigns.apply({"torget-kvall": Schedule(opens=None, closes=closed)})
    assert campaigns.version_of("torget-kvall") == 2
    current, first = campaigns.get("torget-kvall"), campaigns.get("torget-kvall", 1)
    assert current is not None and first is not None
    assert [len(s.questions) for s in (current, first)] == [3, 2]
    assert first.closes == closed  # an admin's dates hold for every version
    assert list(campaigns.versions("torget-kvall")) == [1, 2]
    assert campaigns.get("torget-kvall", 3) is None
    assert campaigns.get("idea", 7) is campaigns.get("idea")  # the forms have no versions


def test_a_stored_text_that_cannot_be_read_leaves_the_newest_one_that_can(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shelf = Shelf(Deployment(), lambda lang, text: text)
    stored = [
        Stored("survey", "torget-kvall", 1, FIRST),
        Stored("survey", "torget-kvall", 2, "id: torget-kvall\n"),
    ]
    with caplog.at_level(logging.WARNING):
        campaigns = shelf.build(stored)
    assert campaigns.version_of("torget-kvall") == 1
    assert "survey torget-kvall version 2 cannot be read" in caplog.text
