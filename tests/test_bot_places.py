"""Places as residents and organizers meet them with the shipped campaigns: only places in
the partnerships' areas are taken, and a place reads as a place, not as two bare numbers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.engine import Problem
from core.texts import SurveyTexts
from tests.conftest import ROOT, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident

SHIPPED = ROOT / "surveys"
PARIS = (48.8584, 2.2945)  # the Eiffel Tower
NEW_YORK = (40.7580, -73.9855)  # Times Square
SODER = (56.0405, 12.7021)  # a street corner on Söder, between the shipped places
AGREE = {"sv": "Jag godkänner", "en": "I agree"}


@pytest.fixture
async def shipped(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    """The bot as it ships: the surveys folder of the repository, and no AREA_BBOX."""
    running = await start_bot(settings_for(tmp_path, surveys=SHIPPED), clock)
    assert running.settings.area_bbox is None
    yield running
    await running.stop()


def words(bot: Bot, lang: str) -> SurveyTexts:
    return SurveyTexts(bot.services.catalogs.get(lang), lang)


async def to_the_soder_place_question(bot: Bot, lang: str, user_id: int) -> Resident:
    """A newcomer who feels unsafe on Söder gets to "Where in Söder does it feel unsafe?"."""
    resident = bot.resident(user_id=user_id, language_code=lang)
    await resident.onboard(agree=AGREE[lang])
    await to_the_place_question(bot, resident, lang)
    return resident


async def where_unsafe(bot: Bot, user_id: int) -> object:
    pseudonym = bot.services.pseudonymize(user_id)
    response = await bot.services.store.active_response(pseudonym)
    assert response is not None
    return response.session.answers.get("where_unsafe")


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_place_in_paris_is_kindly_refused_at_the_soder_question(
    shipped: Bot, lang: str
) -> None:
    resident = await to_the_soder_place_question(shipped, lang, 3100 if lang == "sv" else 3200)
    question = resident.last_text()
    await resident.share_location(*PARIS)
    refusal = words(shipped, lang).problem(Problem.OUTSIDE_AREA, {})
    assert resident.texts()[-2] == refusal
    if lang == "sv":
        assert refusal != words(shipped, "en").problem(Problem.OUTSIDE_AREA, {})
    # Not "Thanks, noted": the same question again, and nothing stored.
    assert resident.last_text() == question
    assert await where_unsafe(shipped, resident.chat_id) is None

    await resident.share_location(*SODER)
    survey = shipped.services.campaigns.get("soder-kvall")
    assert survey is not None
    assert survey.question("unsafe_photo").text.get(lang) in resident.last_text()
    stored = await where_unsafe(shipped, resident.chat_id)
    assert isinstance(stored, dict) and round(stored["lat"], 2) == 56.04


async def send_a_tip_from(bot: Bot, resident: Resident, lat: float, lon: float) -> None:
    await resident.send("/tip")
    await resident.click("Belysning")
    await resident.send("Lampan vid busshållplatsen är trasig.")
    await resident.share_location(lat, lon)


async def test_a_tip_from_new_york_is_refused_and_one_from_soder_is_taken(shipped: Bot) -> None:
    resident = shipped.resident(user_id=3300)
    await resident.onboard()
    await send_a_tip_from(shipped, resident, *NEW_YORK)
    assert resident.texts()[-2] == words(shipped, "sv").problem(Problem.OUTSIDE_AREA, {})
    await resident.share_location(*SODER)
    await resident.click("På kvällen")
    await resident.click("Hoppa över")  # no photo
    await resident.click("Nej, jag vill vara anonym")
    await resident.click("Skicka in")
    [tip] = await shipped.services.store.contributions_of(shipped.services.pseudonymize(3300))
    assert tip.lat is not None and tip.lon is not None
    assert (round(tip.lat, 2), round(tip.lon, 2)) == (56.04, 12.70)


async def test_an_idea_from_hassleholm_is_taken_as_well_as_one_from_soder(shipped: Bot) -> None:
    # Both partnerships' towns are the deployment's area: an idea about either is welcome.
    resident = shipped.resident(user_id=3400)
    await resident.onboard()
    await resident.send("/idea")
    await resident.click("Grönska")
    await resident.send("Fler bänkar runt Lek-loket.")
    await resident.share_location(56.1590, 13.7660)  # Stortorget, Hässleholm
    assert "Har du en bild?" in resident.last_text()


NEAR_FURUTORP = (56.0399, 12.7044)  # a few metres from the square, shared from a phone
SOUTH_OF_SODER = (56.0262, 12.7190)  # no place of places.yaml within a kilometre


def mydata_text(resident: Resident) -> str:
    return next(text for text in reversed(resident.texts()) if "/delete" in text)


async def test_a_place_near_a_named_one_reads_as_near_it_everywhere_in_swedish(
    shipped: Bot,
) -> None:
    resident = shipped.resident(user_id=3500)
    await resident.onboard()
    await resident.send("/idea")
    await resident.click("Grönska")
    await resident.send("Fler träd runt torget.")
    await resident.share_location(*NEAR_FURUTORP)
    await resident.click("Hoppa över")  # no photo
    assert "📍 nära Furutorpsplatsen" in resident.last_text()  # the summary
    await resident.click("Skicka in")
    await resident.send("/mine")
    assert "📍 nära Furutorpsplatsen" in resident.last_text()
    # The Söder survey's place question, answered from the same corner and not yet sent.
    await to_the_place_question(shipped, resident, "sv")
    await resident.share_location(*NEAR_FURUTORP)
    await resident.send("/mydata")
    shown = mydata_text(resident)
    assert shown.count("📍 nära Furutorpsplatsen") == 2  # the answer and the idea
    assert "56,04" not in shown


async def test_a_place_far_from_any_named_one_reads_as_coordinates_in_english(
    shipped: Bot,
) -> None:
    resident = shipped.resident(user_id=3600, language_code="en")
    await resident.onboard(agree="I agree")
    await resident.send("/tip")
    await resident.click("Lighting")
    await resident.send("The path along the railway is dark.")
    await resident.share_location(*SOUTH_OF_SODER)
    await resident.click("At night")
    await resident.click("Skip")  # no photo
    await resident.click("No, keep me anonymous")
    # Snapped to its 100 m cell: four decimals, the hemispheres, no comma to misread.
    written = re.compile(r"📍 56\.02\d\d° N, 12\.71\d\d° E")
    assert written.search(resident.last_text())  # the summary
    await resident.click("Send answers")
    await resident.send("/mine")
    assert written.search(resident.last_text())
    await resident.send("/mydata")
    assert written.search(mydata_text(resident))


async def to_the_place_question(bot: Bot, resident: Resident, lang: str) -> None:
    survey = bot.services.campaigns.get("soder-kvall")
    assert survey is not None and survey.is_open(bot.clock())
    await resident.send("/menu")
    await resident.click(survey.title.get(lang))
    how_often = survey.question("how_often_evening")
    await resident.click(how_often.choices[1].label.get(lang))  # type: ignore[union-attr]
    await resident.click("2")
    assert survey.question("where_unsafe").text.get(lang) in resident.last_text()
