"""`bot.py preview`: chat through a survey in the terminal with the engine Telegram uses.

The organizer answers as a resident would, with numbers for the buttons and words for
Back, Skip and Done; what they read is what residents read (core.texts and the gettext
catalogs). Nothing is stored and no token is needed. `preview()` takes its lines and a
writer, so tests drive it like a terminal; `run()` wires it to stdin and stdout.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The engine, the survey model, the texts and the catalogs are what bot.py loads anyway for
# the bot; everything else (settings, the loader, files) is imported when `preview` runs.
from core import engine, i18n
from core.engine import (
    Action,
    ChangePrompt,
    FinishedPrompt,
    Input,
    Press,
    Problem,
    Prompt,
    QuestionPrompt,
    ReviewPrompt,
    Session,
    Step,
)
from core.i18n import Catalogs
from core.survey import (
    Area,
    CampaignState,
    Location,
    Note,
    Photo,
    Precision,
    Scale,
    SelectMultiple,
    SelectOne,
    Survey,
)
from core.texts import SurveyTexts

if TYPE_CHECKING:
    from core.contributions import Place

Write = Callable[[str], None]
# Lines that only the organizer sees start with this; everything else is what residents read.
ASIDE = "›"


def N_(message: str) -> str:
    """Mark a text for the catalogs; it is translated where it is used."""
    return message


def add_command(commands: Any) -> None:
    """Add `preview` to bot.py's command line."""
    parser = commands.add_parser("preview", help="try a survey in the terminal, as in Telegram")
    parser.add_argument(
        "survey", nargs="?", help="a survey file or a campaign id (default: choose one)"
    )
    parser.add_argument(
        "--lang", choices=["sv", "en"], default="sv", help="the residents' language (default: sv)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Preview a survey at the terminal; 0 when it ends, 1 when the survey cannot be read."""
    from pydantic import ValidationError

    from config import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        print(f"Configuration error: {problems}", file=sys.stderr)
        return 2
    catalogs = Catalogs()
    try:
        return preview(
            args.survey,
            args.lang,
            _typed_lines(),
            _print,
            catalogs=catalogs,
            surveys_dir=settings.surveys_dir,
            precision=settings.location_precision,
            area=settings.area_bbox,
            error=lambda text: print(text, file=sys.stderr),
        )
    except KeyboardInterrupt:
        print()
        print(ASIDE, catalogs.get(args.lang).gettext("Preview ended. Nothing was stored."))
        return 130


def _print(text: str) -> None:
    print(text, flush=True)


def _typed_lines() -> Iterator[str]:
    """Lines from stdin with a prompt; a piped transcript shows what was typed, too."""
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = input("> ")
        except EOFError:
            if interactive:
                print()  # Ctrl-D leaves the cursor after the prompt
            return
        if not interactive:
            print(line)
        yield line


def preview(
    target: str | None,
    lang: str,
    lines: Iterable[str],
    write: Write,
    *,
    catalogs: Catalogs,
    surveys_dir: Path,
    precision: Precision | None = None,
    area: Area | None = None,
    error: Write | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Find the survey (a file, an id in surveys_dir, or the organizer's pick) and try it.

    `precision` and `area` are the deployment's LOCATION_PRECISION and AREA_BBOX, which
    apply to a survey that sets neither, as in Telegram.
    """
    from core.campaigns import Campaigns
    from core.loader import PLACES_FILE, SurveyFileError, load_folder, load_paths

    say_error = error or write
    _ = catalogs.get(lang).gettext
    typed = iter(lines)
    file = Path(target) if target is not None else None
    if file is not None and not (file.suffix in (".yaml", ".yml") or file.is_file()):
        file = None  # a campaign id
    try:
        if file is not None:
            # The places beside the file name a shared position in the summary, as in Telegram.
            beside = file.parent / PLACES_FILE
            folder = load_paths([file, beside] if beside.is_file() else [file])
        else:
            folder = load_folder(surveys_dir)
    except SurveyFileError as exc:
        # The same words as `bot.py validate`, so the organizer can fix the file from them.
        for problem in exc.problems:
            say_error(str(problem))
        say_error(f"{len(exc.problems)} problem(s) found.")
        return 1
    campaigns = Campaigns(folder.surveys, precision=precision, area=area)
    surveys = campaigns.overview(clock())
    if not surveys:
        say_error(_("There is no survey in {place}.").format(place=file or surveys_dir))
        return 1
    chat = Preview(catalogs, lang, write, clock, folder.places)
    if file is not None:
        survey: Survey | None = surveys[0]
    elif target is not None:
        survey = campaigns.get(target)
        if survey is None:
            known = ", ".join(s.id for s in surveys)
            say_error(
                _("There is no campaign “{id}” in {folder}. There are: {known}.").format(
                    id=target, folder=surveys_dir, known=known
                )
            )
            return 1
    else:
        survey = chat.pick(surveys, surveys_dir, typed)
    if survey is not None:
        chat.answer(survey, typed)
    return 0


class Words:
    """The words typed instead of pressing a button, in both languages and any case.

    A button's own label counts too ("⬅ Tillbaka", "Skicka in"), emoji aside.
    """

    def __init__(self, catalogs: Catalogs) -> None:
        languages = [
            (catalogs.get(lang), SurveyTexts(catalogs.get(lang), lang)) for lang in i18n.LANGS
        ]

        def both(word: str, label: Callable[[SurveyTexts], str] | None = None) -> frozenset[str]:
            said = {translations.gettext(word) for translations, _texts in languages}
            if label is not None:
                said |= {label(texts) for _translations, texts in languages}
            return frozenset(normal(text) for text in said)

        self.quit = both(N_("quit"))
        self.back = both(N_("back"), SurveyTexts.back_label)
        self.skip = both(N_("skip"), SurveyTexts.skip_label)
        self.done = both(N_("done"), SurveyTexts.done_label)
        self.keep = both(N_("keep"), SurveyTexts.keep_label)
        self.go_on = both(N_("continue"), SurveyTexts.continue_label)
        self.send = both(N_("send"), SurveyTexts.send_label)
        self.change = both(N_("change"), SurveyTexts.change_label)


def normal(text: str) -> str:
    """'⬅ Tillbaka ' and 'tillbaka' alike: lower case, emoji and punctuation left out."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


class Preview:
    """One organizer trying surveys at the terminal, in one language."""

    def __init__(
        self,
        catalogs: Catalogs,
        lang: str,
        write: Write,
        clock: Callable[[], datetime],
        places: Sequence[Place] = (),
    ) -> None:
        translations = catalogs.get(lang)
        self.lang = lang
        self._ = translations.gettext
        self.texts = SurveyTexts(translations, lang, places)
        self.words = Words(catalogs)
        self.write = write
        self.clock = clock

    def aside(self, text: str) -> None:
        self.write(f"{ASIDE} {text}")

    # ---- choosing a campaign ----
    def pick(self, surveys: list[Survey], folder: Path, lines: Iterator[str]) -> Survey | None:
        """List the campaigns, every state, and let the organizer choose one by number."""
        _ = self._
        self.aside(_("Campaigns in {folder}:").format(folder=folder))
        now = self.clock()
        for number, survey in enumerate(surveys, start=1):
            self.write(
                f"  {number}. {survey.title.get(self.lang)} ({survey.id}): "
                f"{self.state(survey, now)}"
            )
        by_id = {survey.id: survey for survey in surveys}
        self.aside(_("Which one do you want to try? Type its number."))
        for line in lines:
            typed = line.strip()
            if normal(typed) in self.words.quit:
                break
            if typed in by_id:
                return by_id[typed]
            if typed.isdecimal() and 1 <= int(typed) <= len(surveys):
                return surveys[int(typed) - 1]
            self.aside(_("Type a number from {low} to {high}.").format(low=1, high=len(surveys)))
        self.ended()
        return None

    def state(self, survey: Survey, now: datetime) -> str:
        """Where the campaign stands by its file's dates, in words."""
        _ = self._
        state = survey.state(now)
        if state is CampaignState.DRAFT:
            return _("draft, not open to residents")
        if state is CampaignState.SCHEDULED and survey.opens is not None:
            return _("opens {when}").format(when=i18n.when(survey.opens, self.lang))
        if state is CampaignState.OPEN:
            if survey.closes is None:
                return _("open now")
            return _("open until {when}").format(when=i18n.when(survey.closes, self.lang))
        if survey.closes is not None:
            return _("closed since {when}").format(when=i18n.when(survey.closes, self.lang))
        return _("closed")

    # ---- answering ----
    def answer(self, survey: Survey, lines: Iterator[str]) -> Session | None:
        """Answer the survey to the end; the finished session, or None when left early."""
        _ = self._
        words = self.words
        self.aside(
            _("Preview of “{title}” ({id}), {state}. Nothing you answer is stored.").format(
                title=survey.title.get(self.lang),
                id=survey.id,
                state=self.state(survey, self.clock()),
            )
        )
        self.aside(
            _(
                "Type the number of a choice; where several may be chosen, type their numbers "
                "(such as “1 3”), then “{done}”. “{skip}” skips a question that is not "
                "required, “{back}” goes back and “{quit}” stops. For any other button, type "
                "what it says; Enter goes on after a note."
            ).format(done=_("done"), skip=_("skip"), back=_("back"), quit=_("quit"))
        )
        self.aside(
            _(
                "Type a place as two numbers, latitude first: 56.0437 12.6946 (or 56,0437, "
                "12,6946). For a photo, type the path to an image file. Lines starting with "
                "{mark} are for you only; the rest is what residents read."
            ).format(mark=ASIDE)
        )
        self.write("")
        for paragraph in self.texts.intro(survey):
            self.write(paragraph)
            self.write("")
        step = engine.start(survey, self.clock())
        self.show(step)
        for line in lines:
            if normal(line) in words.quit:
                break
            step, aside = self.take(survey, step, line)
            self.write("")
            self.show(step, aside)
            if step.session.finished:
                self.stored(survey, step.session)
                return step.session
        self.ended()
        return None

    def ended(self) -> None:
        self.write("")
        self.aside(self._("Preview ended. Nothing was stored."))

    def take(self, survey: Survey, step: Step, line: str) -> tuple[Step, str | None]:
        """Apply one typed line as the resident's input, or a word for the organizer."""
        now = self.clock()
        session = step.session
        given = self.inputs(step.prompt, session, line)
        if isinstance(given, str):
            return engine.show(survey, session), given
        for one in given:
            if isinstance(one, Press):
                # Each press answers the question as it is now: no button here is stale.
                one = Press(one.action, step.session.version, one.value)
            step = engine.apply(survey, step.session, one, now)
            if step.problem is not None:
                break
        return step, None

    def inputs(self, prompt: Prompt, session: Session, line: str) -> list[Input] | str:
        """What a typed line means here, as the engine's inputs; a str is a note instead."""
        _ = self._
        words = self.words
        typed = normal(line)

        def press(action: Action, value: str = "") -> list[Input]:
            return [Press(action, session.version, value)]

        text: list[Input] = [engine.TextInput(line)]
        if isinstance(prompt, ReviewPrompt):
            if typed in words.send or typed == "1":
                return press(Action.CONFIRM)
            if typed in words.change or typed == "2":
                return press(Action.CHANGE)
            return text
        if isinstance(prompt, ChangePrompt):
            shown = self.texts.change(prompt)
            for number, question in shown.items:
                if typed == str(number):
                    return press(Action.JUMP, question.id)
            if typed in words.back or typed == normal(shown.back.label):
                return press(Action.SUMMARY)
            return text
        if not isinstance(prompt, QuestionPrompt):
            return text
        question = prompt.question
        offered = {button.action for button in self.texts.question(prompt).navigation}
        if typed in words.back:
            if not prompt.can_go_back:
                return _("This is the first question: there is nothing to go back to.")
            return press(Action.BACK)
        if isinstance(question, Note):
            if typed in words.go_on or typed in words.skip or not typed:
                return press(Action.NEXT)
            return text
        if typed in words.skip:
            # A required question has no Skip button; the engine says it needs an answer.
            return press(Action.SKIP)
        if typed in words.keep and Action.NEXT in offered:
            return press(Action.NEXT)
        if isinstance(question, SelectOne):
            if typed.isdecimal() and 1 <= int(typed) <= len(question.choices):
                return press(Action.CHOOSE, question.choices[int(typed) - 1].id)
            return text  # a choice's label typed out counts, as in Telegram
        if isinstance(question, SelectMultiple):
            if typed in words.done:
                return press(Action.DONE)
            numbers = typed.split()
            if numbers and all(
                n.isdecimal() and 1 <= int(n) <= len(question.choices) for n in numbers
            ):
                return [
                    Press(Action.TOGGLE, session.version, question.choices[int(n) - 1].id)
                    for n in numbers
                ]
            return text
        if isinstance(question, Photo) and line.strip():
            return self.photo(line)
        return text  # scale numbers, texts, numbers and places: the engine reads them

    def photo(self, line: str) -> list[Input] | str:
        """A path to an image file, as the photo a resident sends."""
        import mimetypes

        raw = line.strip().strip("'\"").replace("\\ ", " ")
        path = Path(raw).expanduser()
        if path.is_file():
            kind, _encoding = mimetypes.guess_type(path.name)
            if kind is not None and kind.startswith("image/"):
                size = path.stat().st_size
                return [engine.PhotoInput(str(path), path.name, size)]
            # Telegram takes a file that is no image as no photo either.
            return [engine.OtherInput("document")]
        if "/" in raw or "\\" in raw or path.suffix:
            return self._("There is no file {path}.").format(path=path)
        return [engine.TextInput(line)]

    # ---- what the resident reads ----
    def show(self, step: Step, aside: str | None = None) -> None:
        if aside is not None:
            self.aside(aside)
        if step.problem is not None:
            self.write(self.texts.problem(step.problem, step.detail))
            how = self.how_to_answer(step.prompt, step.problem)
            if how:
                self.aside(how)
        prompt = step.prompt
        if isinstance(prompt, QuestionPrompt):
            self.question(prompt)
        elif isinstance(prompt, ReviewPrompt):
            self.review(prompt)
        elif isinstance(prompt, ChangePrompt):
            shown = self.texts.change(prompt)
            self.write(shown.title)
            for number, question in shown.items:
                self.write(f"  {number}. {question.text.get(self.lang)}")
            self.write(f"  [{shown.back.label}]")
        elif isinstance(prompt, FinishedPrompt):
            self.write(self.texts.thanks(prompt.survey))

    def question(self, prompt: QuestionPrompt) -> None:
        shown = self.texts.question(prompt)
        for line in (shown.progress, shown.text, shown.hint, shown.guidance, shown.so_far):
            if line:
                self.write(line)
        if isinstance(prompt.question, Scale):
            self.write("  " + "  ".join(f"[{choice.label}]" for choice in shown.choices))
        else:
            for number, choice in enumerate(shown.choices, start=1):
                self.write(f"  {number}. {choice.label}")
        buttons: list[str] = []
        if isinstance(prompt.question, Location):
            buttons.append(self.texts.share_location_label())
        if shown.finish is not None:
            buttons.append(shown.finish.label)
        buttons.extend(button.label for button in shown.navigation)
        if buttons:
            self.write("  " + "  ".join(f"[{label}]" for label in buttons))

    def review(self, prompt: ReviewPrompt) -> None:
        shown = self.texts.review(prompt)
        self.write(shown.title)
        for number, question, answer in shown.items:
            self.write(f"{number}. {question}")
            self.write(f"   → {answer}")
        self.write(shown.question)
        for number, button in enumerate(shown.buttons, start=1):
            self.write(f"  {number}. {button.label}")

    def how_to_answer(self, prompt: Prompt, problem: Problem) -> str | None:
        """What to type here instead, when the resident's message speaks of buttons."""
        _ = self._
        if problem is Problem.EXPECTED_LOCATION:
            return _("Type the place as two numbers, latitude first: 56.0437 12.6946.")
        if problem is Problem.EXPECTED_PHOTO:
            return _("Type the path to an image file.")
        if problem is not Problem.EXPECTED_BUTTON:
            return None
        count = 0
        if isinstance(prompt, ReviewPrompt):
            count = 2
        elif isinstance(prompt, ChangePrompt):
            count = len(self.texts.change(prompt).items)
        elif isinstance(prompt, QuestionPrompt):
            question = prompt.question
            if isinstance(question, Note):
                return _("Press Enter to go on.")
            if isinstance(question, Scale):
                return _("Type a number from {low} to {high}.").format(
                    low=question.min, high=question.max
                )
            if isinstance(question, SelectMultiple):
                return _("Type the numbers of your choices, such as “1 3”, then “{done}”.").format(
                    done=_("done")
                )
            if isinstance(question, SelectOne):
                count = len(question.choices)
        if count:
            return _("Type a number from {low} to {high}.").format(low=1, high=count)
        return None

    def stored(self, survey: Survey, session: Session) -> None:
        """What the response would hold, question by question: the shape of the data."""
        _ = self._
        self.write("")
        self.aside(_("Nothing was stored. In Telegram, this response would be stored as:"))
        width = max(len(q.id) for q in survey.questions)
        answers = session.answers
        for question in survey.questions:
            if question.id not in answers:
                value = _("(not shown, nothing stored)")
            elif answers[question.id] is None:
                value = "null  " + _("(skipped)")
            else:
                value = json.dumps(answers[question.id], ensure_ascii=False)
                if isinstance(question, Note):
                    value += "  " + _("(a note: not in the exports)")
                elif isinstance(question, Photo):
                    value += "  " + _("(in Telegram: the photo's file id)")
            self.write(f"  {question.id:<{width}}  {value}")
