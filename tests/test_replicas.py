"""Two replicas on one database answer the same resident at the same instant.

Each replica is a whole bot (its own Application and store) on one SQLite file. The race is
made certain rather than hoped for: replica A reads the resident, then waits while replica B
handles its update to the end, then A goes on with what it read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Bot, FakeClock, settings_for, start_bot
from tests.fakebot import FakeTelegram, Resident

# Starts or kills whole bot processes (or runs many): `make quick` leaves it out.
pytestmark = pytest.mark.slow

SURVEY = """
id: trygg-soder
title: {sv: "Trygghet på Söder", en: "Safety in Söder"}
opens: 2026-01-01T00:00:00+01:00
questions:
  - id: fixes
    type: select_multiple
    text: {sv: "Vad skulle göra mest skillnad?", en: "What would make the most difference?"}
    choices:
      - {id: light, label: {sv: "Bättre belysning", en: "Better lighting"}}
      - {id: litter, label: {sv: "Mindre skräp", en: "Less litter"}}
      - {id: presence, label: {sv: "Fler vuxna ute", en: "More adults around"}}
  - id: where
    type: text
    text: {sv: "Var på Söder tänker du på?", en: "Where in Söder are you thinking of?"}
  - id: when
    type: text
    text: {sv: "När på dygnet?", en: "At what time of day?"}
"""


class Replicas:
    def __init__(self, a: Bot, b: Bot) -> None:
        self.a, self.b = a, b

    async def at_once(
        self,
        first: Awaitable[None],
        second: Awaitable[None],
        store_of_first: Any,
        reading: str = "visit",
    ) -> None:
        """`first` (on replica A) reads (the store method `reading`), then `second` (on B)
        runs to the end, then `first` goes on with what it had read."""
        read, go_on = asyncio.Event(), asyncio.Event()
        visit = getattr(store_of_first, reading)

        async def slow_visit(*args: Any, **kwargs: Any) -> Any:
            found = await visit(*args, **kwargs)
            if not read.is_set():
                read.set()
                await go_on.wait()
            return found

        setattr(store_of_first, reading, slow_visit)
        try:
            running = asyncio.ensure_future(first)
            await read.wait()
            await second
            go_on.set()
            await running
        finally:
            setattr(store_of_first, reading, visit)


@pytest.fixture
async def replicas(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Replicas]:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "trygg.yaml").write_text(SURVEY, encoding="utf-8")
    settings = settings_for(tmp_path, surveys)
    telegram = FakeTelegram()  # one Telegram, two bots behind it
    a = await start_bot(settings, clock, telegram)
    b = await start_bot(settings, clock, telegram)
    yield Replicas(a, b)
    await a.stop()
    await b.stop()


async def answers_of(bot: Bot) -> dict[str, Any]:
    [response] = [r async for r in bot.services.store.export_responses("trygg-soder")]
    return dict(response.answers)


async def at_the_first_question(replicas: Replicas) -> tuple[Resident, Resident]:
    on_a = replicas.a.resident(5201)
    on_b = Resident(replicas.b.app, replicas.b.fake, user_id=5201)
    await on_a.onboard()
    await on_a.click("Trygghet på Söder")
    assert "Vad skulle göra mest skillnad?" in on_a.last_text()
    return on_a, on_b


async def test_two_ticks_on_two_replicas_at_once_are_both_kept_without_the_question_again(
    replicas: Replicas,
) -> None:
    on_a, on_b = await at_the_first_question(replicas)
    question = on_a.last_message_id()
    await replicas.at_once(
        on_a.click_in(question, "Bättre belysning"),
        on_b.click_in(question, "Mindre skräp"),
        replicas.a.services.store,
    )
    # B's tick was stored first; A's was computed on what B replaced, so it was not stored
    # over it but applied again on B's: both are kept, and the keyboard shows both.
    assert [b for b in on_a.buttons() if b.startswith("✅")] == [
        "✅ Bättre belysning",
        "✅ Mindre skräp",
    ]
    assert not any("tidigare fråga" in toast for toast in on_a.answered_callbacks())
    questions = [t for t in on_a.texts() if "Vad skulle göra mest skillnad?" in t]
    assert len(questions) == 1
    await on_a.click("Klar")
    assert "Var på Söder" in on_a.last_text()
    assert (await answers_of(replicas.a))["fixes"] == ["light", "litter"]


async def test_an_earlier_ticks_late_edit_does_not_hide_a_later_tick(
    replicas: Replicas,
) -> None:
    on_a, on_b = await at_the_first_question(replicas)
    question = on_a.last_message_id()
    # A stores its tick, then B's tick is stored and drawn before A's edit goes out.
    await replicas.at_once(
        on_a.click_in(question, "Bättre belysning"),
        on_b.click_in(question, "Mindre skräp"),
        replicas.a.services.store,
        reading="save_step",
    )
    assert [b for b in on_a.buttons() if b.startswith("✅")] == [
        "✅ Bättre belysning",
        "✅ Mindre skräp",
    ]
    await on_a.click("Klar")
    assert (await answers_of(replicas.a))["fixes"] == ["light", "litter"]


async def test_two_quick_answers_to_two_replicas_do_not_overwrite_each_other(
    replicas: Replicas,
) -> None:
    on_a, on_b = await at_the_first_question(replicas)
    await on_a.click("Bättre belysning")
    await on_a.click("Klar")
    assert "Var på Söder" in on_a.last_text()
    await replicas.at_once(
        on_a.send("Vid stationen"),
        on_b.send("Sent på kvällen"),
        replicas.a.services.store,
    )
    stored = await answers_of(replicas.a)
    # B's answer went to the question on screen; A's was written to that same question
    # and is not taken over it: the resident is shown where they are instead.
    assert stored["where"] == "Sent på kvällen"
    assert "when" not in stored
    assert "När på dygnet?" in on_a.last_text()
    said = on_a.texts()
    assert len([t for t in said if "När på dygnet?" in t]) == 2


async def test_a_survey_chosen_on_two_replicas_at_once_is_started_once(
    replicas: Replicas,
) -> None:
    on_a = replicas.a.resident(5202)
    on_b = Resident(replicas.b.app, replicas.b.fake, user_id=5202)
    await on_a.onboard()
    menu = on_a.last_message_id()
    await replicas.at_once(
        on_a.click_in(menu, "Trygghet på Söder"),
        on_b.click_in(menu, "Trygghet på Söder"),
        replicas.a.services.store,
        # A has looked for an earlier response of theirs and found none, as has B.
        reading="latest_response",
    )
    store = replicas.a.services.store
    responses = await store.responses_of(replicas.a.services.pseudonymize(5202))
    assert len(responses) == 1  # one response, not two of "one response per resident"
    # Both presses end on the same first question, of that one response.
    questions = [t for t in on_a.texts() if "Vad skulle göra mest skillnad?" in t]
    assert len(questions) == 2
    await on_a.click("Bättre belysning")
    assert [b for b in on_a.buttons() if b.startswith("✅")] == ["✅ Bättre belysning"]
