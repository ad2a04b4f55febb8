"""The question count a resident reads stays true through a survey that branches.

Residents walk through the shipped campaigns in Telegram, once asked everything a branch can
add and once as little as it allows, in both languages. Whatever they answer, the intro, every
question and the offer to continue name the same total, and the question number only ever
moves on by one (back by one on Back).
"""

from __future__ import annotations

import re
from html import escape
from itertools import pairwise
from pathlib import Path

import pytest

from core.survey import (
    FreeText,
    Location,
    Note,
    Number,
    Photo,
    Question,
    Scale,
    SelectMultiple,
    SelectOne,
    Survey,
)
from core.texts import SurveyTexts
from tests.conftest import ROOT, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident

HEADER = {
    "sv": re.compile(r"^Fråga (\d+) av högst (\d+)\n"),
    "en": re.compile(r"^Question (\d+) of at most (\d+)\n"),
}
INTRO = {"sv": "Högst {n} frågor, beroende på vad du svarar.", "en": "At most {n} questions"}
RESUME = {"sv": "kommit till fråga {k} av högst {n}.", "en": "got to question {k} of at most {n}."}


class Walk:
    """One resident answering one survey, reading every header on the way."""

    def __init__(self, bot: Bot, resident: Resident, survey: Survey, lang: str, most: bool):
        self.bot, self.resident, self.survey, self.lang = bot, resident, survey, lang
        self.most = most  # answer so that every branch is asked, or so that none is
        self.texts = SurveyTexts(bot.services.catalogs.get(lang), lang)
        self._ = bot.services.catalogs.get(lang).gettext
        self.headers: list[tuple[int, int]] = []

    def on_screen(self) -> Question:
        shown = self.resident.last_text()
        for question in self.survey.questions:
            if escape(question.text.get(self.lang)) in shown:
                return question
        raise AssertionError(f"no question of the survey in {shown!r}")

    def header(self) -> tuple[int, int]:
        match = HEADER[self.lang].match(self.resident.last_text())
        assert match, self.resident.last_text()
        return int(match.group(1)), int(match.group(2))

    async def answer(self, question: Question) -> None:
        resident, most = self.resident, self.most
        if isinstance(question, Note):
            await resident.click(self.texts.continue_label())
        elif isinstance(question, Scale):
            await resident.click(str(question.min if most else question.max))
        elif isinstance(question, SelectOne):
            choices = question.choices if most else question.choices[::-1]
            await resident.click(choices[0].label.get(self.lang))
        elif isinstance(question, SelectMultiple):
            # The first three (which reach the traffic question), or only the last one.
            ticked = question.choices[:3] if most else question.choices[-1:]
            for choice in ticked:
                label = choice.label.get(self.lang)
                if f"✅ {label}" not in resident.buttons():  # ticked before a Back
                    await resident.click(label)
            await resident.click(self.texts.done_label())
        elif isinstance(question, Number):
            await resident.send("4" if most else "0")
        elif isinstance(question, FreeText):
            await resident.send("Mer ljus" if self.lang == "sv" else "More light")
        elif isinstance(question, Location):
            await resident.tap_reply_button(self.texts.skip_label())
        elif isinstance(question, Photo):
            await resident.click(self.texts.skip_label())

    async def to_the_summary(self) -> None:
        went_back = offered = False
        for _ in range(3 * len(self.survey.questions)):
            if self._("Your answers") in self.resident.last_text():
                return
            question = self.on_screen()
            if not isinstance(question, Note):
                self.headers.append(self.header())
                number = self.headers[-1][0]
                if number == 3 and not went_back:
                    went_back = True
                    if isinstance(question, Location):  # its buttons are on the reply keyboard
                        await self.resident.tap_reply_button(self.texts.back_label())
                    else:
                        await self.resident.click(self.texts.back_label())
                    continue
                if number == 4 and not offered:
                    offered = True
                    await self.leave_and_come_back(number)
                    continue
            await self.answer(question)
        raise AssertionError("the summary never came")

    async def leave_and_come_back(self, number: int) -> None:
        """Open the menu and choose the survey again: the offer to continue says where."""
        total = self.headers[-1][1]
        await self.resident.send("/menu")
        await self.resident.click(self.survey.title.get(self.lang))
        offer = self.resident.last_text()
        assert RESUME[self.lang].format(k=number, n=total) in offer, offer
        await self.resident.click(self._("▶ Continue"))


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("survey_id", ["soder-kvall", "centrum-utveckling"])
@pytest.mark.parametrize("most", [True, False], ids=["every-branch", "no-branch"])
async def test_the_question_count_never_changes_or_goes_backwards(
    tmp_path: Path, clock: FakeClock, lang: str, survey_id: str, most: bool
) -> None:
    running = await start_bot(settings_for(tmp_path, surveys=ROOT / "surveys"), clock)
    try:
        survey = running.services.campaigns.get(survey_id)
        assert survey is not None
        resident = running.resident(user_id=4100, language_code=lang)
        await resident.onboard(agree="Jag godkänner" if lang == "sv" else "I agree")
        await resident.click(survey.title.get(lang))
        asked = [q for q in survey.questions if not isinstance(q, Note)]
        intro = resident.texts()[-2]
        assert INTRO[lang].format(n=len(asked)) in intro, intro
        walk = Walk(running, resident, survey, lang, most)
        await walk.to_the_summary()

        totals = {total for _number, total in walk.headers}
        assert totals == {len(asked)}  # the intro's number, on every question
        numbers = [number for number, _total in walk.headers]
        assert numbers[0] == 1
        steps = [after - before for before, after in pairwise(numbers)]
        # Forward by one each time; the one step back is the Back press, and after it the
        # same question again (shown again when the resident came back from the menu).
        assert steps.count(-1) == 1 and set(steps) <= {-1, 0, 1}, numbers
        assert steps.count(0) == 1, numbers
        # The summary lists as many answers as the last question's number said.
        summary = resident.last_text()
        assert f"\n{numbers[-1]}. " in summary and f"\n{numbers[-1] + 1}. " not in summary
        if most:
            assert numbers[-1] == len(asked)  # every branch was asked
        else:
            assert numbers[-1] < len(asked)  # fewer asked: the end came sooner than "at most"
    finally:
        await running.stop()
