"""A survey file an organizer sends in Telegram (admins only): checked as `bot.py validate`
checks it, shown as a card with what changed since the current version, saved with Save.

A .yaml file is read as it is; an .xlsx goes through the XLSForm import first, as
`bot.py import-xlsform` would. categories.yaml and places.yaml, by their names, are the
deployment's lists. The checked file is kept (storage's uploads) until Save or Cancel, or
for a day; Save stores it only if nobody saved another version since it was checked.

Who may: the lists only owners; a survey any organizer, but one limited to an area only a
survey whose `area_name` is their area and whose id no other area's campaign has (checked
when the file comes and again at Save, since the role may have changed in between).
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

from pydantic import BaseModel
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from authoring.xlsform import NotAnXLSForm, convert, read_workbook, to_yaml
from core import i18n
from core.changes import Change, Changes, What, changes
from core.contributions import CategoriesFile, PlacesFile
from core.loader import MAX_FILE_BYTES, SurveyFileError, check_survey, parse_file, unreadable
from core.problems import FileProblem, megabytes
from core.roles import Action
from core.says import N_, Says, Words, says
from core.survey import Survey
from handlers.admin import audit, campaign_buttons, campaign_card, campaign_dates, not_theirs
from handlers.buttons import CONFIRMED, DROP, SAVE, parse_upload_data, upload_data
from handlers.common import Visitor, answer_callback, close_keyboard, send, staff
from handlers.context import Ctx
from handlers.guard import admin_only
from handlers.render import Renderer, renderer
from handlers.reply import Reply
from storage.definitions import DefinitionKind, StaleDefinition, Upload

log = logging.getLogger(__name__)

YAML_LIMIT = MAX_FILE_BYTES  # as the surveys folder: a survey of 100 questions is ~60 KB
# An XLSForm is a zip of XML: the example form is 9 KB, and one with pictures in its cells
# a few MB. openpyxl reads what is inside in memory, so much larger is refused unread.
XLSX_LIMIT = 5 * 1024 * 1024
# A download of a few MB over a slow link takes longer than an ordinary Bot API call.
DOWNLOAD_TIMEOUT = 30.0
# Telegram takes 4096 characters a message; the framing and the count need some of them.
PROBLEMS_SHOWN = 3300
QUESTIONS_SHOWN = 40
MESSAGE_ROOM = 3900  # of Telegram's 4096 characters, counting the HTML tags
SHORT_TEXT = 60
# categories.yaml and places.yaml by their names; also as a download names them
# (categories-v3.yaml) and as a phone saves a second copy (places (1).yaml).
LIST_FILE = re.compile(r"^(categories|places)(-v\d+)?( ?\(\d+\))?\.ya?ml$")
LIST_MODELS: dict[DefinitionKind, type[BaseModel]] = {
    DefinitionKind.CATEGORIES: CategoriesFile,
    DefinitionKind.PLACES: PlacesFile,
}


@dataclass(frozen=True)
class Checked:
    """A file that passed: what it defines, its text as it will be stored, and the model."""

    kind: DefinitionKind
    name: str
    source: str
    model: BaseModel  # a Survey, CategoriesFile or PlacesFile
    notes: tuple[Says, ...] = ()  # what the XLSForm import could not carry over or changed


@dataclass(frozen=True)
class Refused:
    """A file that did not pass: validate's lines, or why it could not be read at all."""

    problems: tuple[FileProblem, ...] = ()  # said in the organizer's language when shown
    not_a_form: Says | None = None  # an .xlsx that is no XLSForm: the import's reason
    source: str = ""  # an XLSForm's survey, which comes back to be fixed by hand


@admin_only
async def receive(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """Check a survey, categories or places file an organizer sent; show what it would save."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    _ = render._
    name = Path(document.file_name or "").name
    lowered = name.lower()
    if lowered.endswith((".yaml", ".yml")):
        limit, xlsx = YAML_LIMIT, False
    elif lowered.endswith(".xlsx"):
        limit, xlsx = XLSX_LIMIT, True
    else:
        text = _(
            "I can take a survey file here: a .yaml file as in the surveys folder, or an "
            "XLSForm saved as .xlsx (Excel, KoboToolbox, ODK). categories.yaml and places.yaml "
            "are taken by their names. This file is neither, so nothing was read."
        )
        return await send(context, who.chat_id, [Reply(text)])
    if LIST_FILE.match(lowered) and not who.access.owner:  # refused unread
        refused = not_theirs(context, who, render, DefinitionKind.CATEGORIES, lowered, None)
        return await send(context, who.chat_id, [Reply(refused or "")])
    if document.file_size is not None and document.file_size > limit:
        return await _too_large(context, who, render, document.file_size, limit)
    try:
        file = await document.get_file()
        content = bytes(await file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))
    except (TelegramError, RuntimeError) as error:
        log.warning("could not download an organizer's file: %s", type(error).__name__)
        text = _("Telegram did not hand me the file, so nothing was read. Send it once more.")
        return await send(context, who.chat_id, [Reply(text)])
    if len(content) > limit:  # Telegram did not say how large it was
        return await _too_large(context, who, render, len(content), limit)
    result = await asyncio.to_thread(_check_xlsx if xlsx else _check_yaml, name, content)
    if isinstance(result, Refused):
        return await _refused(context, who, render, name, result)
    area = result.model.area_name if isinstance(result.model, Survey) else None
    refusal = not_theirs(context, who, render, result.kind, result.name, area)
    if refusal is not None:
        return await send(context, who.chat_id, [Reply(refusal)])
    await _offer(context, who, render, result)


async def save(update: Update, context: Ctx) -> None:
    """Save (💾): store the file as the next version, or first ask when answers would break."""
    await _save(update, context, confirmed=False)


async def save_anyway(update: Update, context: Ctx) -> None:
    """Save after the question about answers that would not match (💾 Yes, save)."""
    await _save(update, context, confirmed=True)


async def cancel(update: Update, context: Ctx) -> None:
    """Cancel: forget the file; nothing is saved."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return
    upload, _who, render = pressed
    if not await context.services.store.claim_update(update.update_id):
        return await answer_callback(update)
    await context.services.store.drop_upload(upload.id)
    note = render._("Cancelled: nothing was saved.")
    await answer_callback(update, note)
    await close_keyboard(update, note)


async def ignore(update: Update, context: Ctx) -> None:
    """An upload button of no action known (hand-made, or from an older version)."""
    await answer_callback(update)


# ---- checking a file ----------------------------------------------------------------------
def _check_yaml(name: str, content: bytes) -> Checked | Refused:
    try:
        source = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Refused((unreadable(name, exc),))
    listed = LIST_FILE.match(name.lower())
    if listed is None:
        return _check_survey(source, name)
    kind = DefinitionKind(listed.group(1))
    try:
        model = parse_file(source, name, LIST_MODELS[kind])
    except SurveyFileError as exc:
        return Refused(tuple(exc.problems))
    return Checked(kind, kind.value, source, model)


def _check_survey(source: str, shown: str, notes: tuple[Says, ...] = ()) -> Checked | Refused:
    try:
        survey = check_survey(source, shown)
    except SurveyFileError as exc:
        return Refused(tuple(exc.problems), source=source)
    return Checked(DefinitionKind.SURVEY, survey.id, source, survey, notes)


def _check_xlsx(name: str, content: bytes) -> Checked | Refused:
    """The XLSForm import of `bot.py import-xlsform` on the file, then the survey's check."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (name or "form.xlsx")
        path.write_bytes(content)
        try:
            form = read_workbook(path)
        except NotAnXLSForm as exc:
            # The reason names the file by the organizer's name, not the folder it was read in.
            return Refused(not_a_form=_named(exc.says, str(path), name))
        except Exception as exc:  # openpyxl on a damaged zip can fail in many ways
            log.info("an .xlsx could not be read: %s", type(exc).__name__)
            unread = N_("{file} is not an Excel workbook (.xlsx) I can read")
            return Refused(not_a_form=says(unread, file=name))
    shown = f"{path.stem}.yaml"
    try:
        conversion = convert(form)
        source = to_yaml(conversion, name, shown)
    except Exception as exc:  # a form stranger than any the import was written for
        log.warning("an XLSForm could not be converted: %s", type(exc).__name__)
        unconverted = N_("{file} could not be converted to a survey")
        return Refused(not_a_form=says(unconverted, file=name))
    notes = tuple(note.says for note in (*conversion.lost, *conversion.changed))
    return _check_survey(source, shown, notes)


def _named(message: Says, path: str, name: str) -> Says:
    """The message with the temporary file's path, wherever it is a parameter, as `name`."""
    params = tuple(
        (key, _named(value, path, name) if isinstance(value, Says) else value.replace(path, name))
        for key, value in message.params
    )
    # Text from elsewhere (openpyxl's reason) may name the path in its own words.
    template = message.template if message.translated else message.template.replace(path, name)
    return Says(template, params, message.plural, message.count, message.translated)


# ---- answering ----------------------------------------------------------------------------
async def _too_large(context: Ctx, who: Visitor, render: Renderer, size: int, limit: int) -> None:
    text = render._(
        "This file is {size} MB, but a file sent here may be at most {limit} MB, so it was "
        "not read. Even a survey of 100 questions, the most allowed, is far smaller: check "
        "that this is the right file."
    ).format(
        size=i18n.number(round(megabytes(size), 1), render.lang),
        limit=i18n.number(megabytes(limit), render.lang),
    )
    await send(context, who.chat_id, [Reply(text)])


async def _refused(
    context: Ctx, who: Visitor, render: Renderer, name: str, refused: Refused
) -> None:
    _ = render._
    words = Words(render._, render.ngettext)
    if refused.not_a_form is not None:
        text = _("I could not import this XLSForm, so nothing was kept: {reason}.").format(
            reason=escape(refused.not_a_form.render(words))
        )
        return await send(context, who.chat_id, [Reply(text)])
    problems = "\n".join(problem.render(words) for problem in refused.problems)
    if len(problems) > PROBLEMS_SHOWN:
        problems = problems[:PROBLEMS_SHOWN] + "\n…"
    intro = _(
        "⚠️ {file} has problems, so nothing was kept. The same list as python bot.py "
        "validate; fix them and send the file again:"
    ).format(file=escape(name))
    count = render.counts.problems(len(refused.problems))
    await send(context, who.chat_id, [Reply(f"{intro}\n<pre>{escape(problems)}</pre>\n{count}")])
    if name.lower().endswith(".xlsx") and refused.source:
        # The survey made from the form, to fix by hand and send back as .yaml.
        caption = _("The survey made from {file}, with the problems above to fix.").format(
            file=name
        )
        await context.bot.send_document(
            who.chat_id,
            refused.source.encode("utf-8"),
            filename=f"{Path(name).stem}.yaml",
            caption=caption,
        )


async def _offer(context: Ctx, who: Visitor, render: Renderer, checked: Checked) -> None:
    """Keep the checked file and show what Save would store."""
    services = context.services
    store = services.store
    _ = render._
    history = await store.definition_history(checked.kind, checked.name)
    current = history[0] if history else None
    if current is not None and current.source == checked.source:
        text = _("This file is exactly version {version} of {name}: there is nothing to save.")
        text = text.format(version=current.version, name=f"<code>{escape(checked.name)}</code>")
        return await send(context, who.chat_id, [Reply(text)])
    based_on = current.version if current is not None else None
    found: Changes | None = None  # None: nothing to compare with
    if isinstance(checked.model, Survey) and current is not None:
        old = await asyncio.to_thread(_stored_survey, current.source, checked.name)
        if old is not None:
            answered = await store.answered_questions(checked.name)
            found = changes(old, checked.model, answered)
    upload_id = await store.keep_upload(
        checked.kind, checked.name, checked.source, based_on, who.pseudonym, services.clock()
    )
    log.info("an organizer sent a new version of %s %s", checked.kind, checked.name)
    version = (based_on or 0) + 1
    text = _summary(render, checked, based_on, found)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("💾 Save as version {version}").format(version=version),
                    callback_data=upload_data(SAVE, upload_id),
                ),
                InlineKeyboardButton(_("Cancel"), callback_data=upload_data(DROP, upload_id)),
            ]
        ]
    )
    await send(context, who.chat_id, [Reply(text, markup)])


def _summary(
    render: Renderer, checked: Checked, based_on: int | None, found: Changes | None
) -> str:
    _ = render._
    name = f"<code>{escape(checked.name)}</code>"
    if based_on is None:
        heading = _("📄 New: {name}").format(name=name)
    else:
        heading = _("📄 Version {version} of {name}").format(version=based_on + 1, name=name)
    lines = [heading]
    model = checked.model
    if isinstance(model, Survey):
        lines += [f"🇸🇪 <b>{escape(model.title.sv)}</b>", f"🇬🇧 <b>{escape(model.title.en)}</b>"]
        lines.append(escape(campaign_dates(render, model)))
        lines.append(render.counts.questions(len(model.questions)))
        for number, question in enumerate(model.questions[:QUESTIONS_SHOWN], start=1):
            lines.append(f"{number}. {escape(_short(question.text.get(render.lang)))}")
        if len(model.questions) > QUESTIONS_SHOWN:
            lines.append("…")
    elif isinstance(model, CategoriesFile):
        lines.append(render.counts.listed("categories", len(model.categories)))
    elif isinstance(model, PlacesFile):
        lines.append(render.counts.listed("places", len(model.places)))
    if based_on is not None and isinstance(model, Survey) and found is not None:
        lines.append("")
        if found:
            lines.append(_("What changed since version {version}:").format(version=based_on))
            lines += [f"• {change_line(render, change, model)}" for change in found.items]
        else:
            lines.append(
                _(
                    "The questions are as in version {version}; only the file's wording or "
                    "comments differ."
                ).format(version=based_on)
            )
    if found is not None and found.breaking:
        lines.append("")
        lines.append(
            _(
                "⚠️ Changes marked ⚠️ do not fit the answers already given: those answers will "
                "not match the new version."
            )
        )
    if checked.notes:
        lines.append("")
        lines.append(_("From the XLSForm, not carried over or changed on the way:"))
        words = Words(render._, render.ngettext)
        lines += [f"– {escape(note.render(words))}" for note in checked.notes[:10]]
        if len(checked.notes) > 10:
            lines.append("…")
    return _fit(lines)


def _fit(lines: list[str]) -> str:
    """The lines that fit in one message; whole lines, so that no HTML tag is cut in two."""
    kept: list[str] = []
    length = 0
    for line in lines:
        length += len(line) + 1
        if length > MESSAGE_ROOM:
            kept.append("…")
            break
        kept.append(line)
    return "\n".join(kept)


def change_line(render: Renderer, change: Change, new: Survey) -> str:
    """One change as an organizer reads it; a breaking one marked ⚠️."""
    _ = render._
    question = f"<code>{escape(change.question or '')}</code>"
    choice = f"<code>{escape(change.choice or '')}</code>"
    fields = ", ".join(f"<code>{escape(field)}</code>" for field in change.fields)
    texts = {
        What.QUESTION_ADDED: _("Question {question} added"),
        What.QUESTION_REMOVED: _("Question {question} removed"),
        What.QUESTION_MOVED: _("Question {question} moved"),
        What.QUESTION_TEXT: _("Question {question}: new text"),
        What.QUESTION_TYPE: _("Question {question}: type {was} → {to}"),
        What.QUESTION_OTHER: _("Question {question}: {fields} changed"),
        What.CHOICE_ADDED: _("Question {question}: choice {choice} added"),
        What.CHOICE_REMOVED: _("Question {question}: choice {choice} removed"),
        What.CHOICE_RENAMED: _("Question {question}: choice {choice} renamed to {to}"),
        What.CHOICE_LABEL: _("Question {question}: choice {choice} has a new label"),
        What.TITLE: _("New title"),
        What.DATES: _("New dates: {dates}"),
        What.SURVEY_OTHER: _("Changed: {fields}"),
    }
    line = texts[change.what].format(
        question=question,
        choice=choice,
        fields=fields,
        was=f"<code>{escape(change.was or '')}</code>",
        to=f"<code>{escape(change.to or '')}</code>",
        dates=escape(campaign_dates(render, new)),
    )
    return f"⚠️ {line}" if change.breaking else line


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SHORT_TEXT else flat[: SHORT_TEXT - 1].rstrip() + "…"


def _stored_survey(source: str, name: str) -> Survey | None:
    """A stored version as a survey; None should it no longer pass (a newer rule)."""
    try:
        return check_survey(source, name)
    except SurveyFileError:
        return None


# ---- saving -------------------------------------------------------------------------------
async def _pressed(update: Update, context: Ctx) -> tuple[Upload, Visitor, Renderer] | None:
    """The kept file a button names and its author; None (the spinner stopped, and for its
    author a toast) when it is gone or the button is not theirs."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = parse_upload_data(query.data)
    who = await staff(update, context)
    if who is None or parsed is None:
        await answer_callback(update)
        return None
    render = renderer(context, who.lang)
    upload = await context.services.store.upload(parsed[1])
    if upload is None or upload.author != who.pseudonym:
        await answer_callback(update, render._("This file was saved or cancelled already."))
        await close_keyboard(update)
        return None
    return upload, who, render


async def _save(update: Update, context: Ctx, confirmed: bool) -> None:
    pressed = await _pressed(update, context)
    if pressed is None:
        return
    upload, who, render = pressed
    store = context.services.store
    # The role may have changed since the file was checked (another area now, or removed).
    survey = upload.kind is DefinitionKind.SURVEY
    kept = await asyncio.to_thread(_stored_survey, upload.source, upload.name) if survey else None
    area = kept.area_name if kept is not None else None
    refusal = not_theirs(context, who, render, upload.kind, upload.name, area)
    if refusal is not None:
        await answer_callback(update)
        await close_keyboard(update)
        return await send(context, who.chat_id, [Reply(refusal)])
    if not await store.claim_update(update.update_id):
        return await answer_callback(update)
    if not confirmed:
        broken = await _broken(context, upload)
        if broken:
            await answer_callback(update)
            return await _ask(update, context, who, render, upload, broken)
    # Dropping the kept file first claims it: a second press, here or on another replica,
    # finds it gone and saves nothing twice.
    if not await store.drop_upload(upload.id):
        return await answer_callback(update, render._("This file was saved or cancelled already."))
    try:
        saved = await store.save_definition(
            upload.kind,
            upload.name,
            upload.source,
            context.services.clock(),
            origin="telegram",
            author=who.pseudonym,
            based_on=upload.based_on,
        )
    except StaleDefinition as stale:
        await answer_callback(update)
        await close_keyboard(update)
        return await _stale(context, who, render, upload, stale)
    log.info("an organizer saved version %d of %s %s", saved.version, saved.kind, saved.name)
    await audit(update, context, who, Action.SAVED, saved.name, saved.version)
    refresh = context.services.refresh_campaigns
    if refresh is not None:
        await refresh()
    note = render._("Saved as version {version}").format(version=saved.version)
    await answer_callback(update, note)
    await close_keyboard(update, note)
    await _show_saved(context, who, render, upload, saved.version)


async def _broken(context: Ctx, upload: Upload) -> list[str]:
    """The questions whose existing answers would not match the kept file."""
    if upload.kind is not DefinitionKind.SURVEY or upload.based_on is None:
        return []
    store = context.services.store
    stored = await store.definition(upload.kind, upload.name, upload.based_on)
    if stored is None:
        return []
    old = await asyncio.to_thread(_stored_survey, stored.source, upload.name)
    new = await asyncio.to_thread(_stored_survey, upload.source, upload.name)
    if new is None:
        return []
    return changes(old, new, await store.answered_questions(upload.name)).questions_broken()


async def _ask(
    update: Update, context: Ctx, who: Visitor, render: Renderer, upload: Upload, broken: list[str]
) -> None:
    _ = render._
    await close_keyboard(update)
    questions = ", ".join(f"<code>{escape(question)}</code>" for question in broken)
    text = _(
        "Existing answers to {questions} will not match the new version. Save anyway?"
    ).format(questions=questions)
    version = (upload.based_on or 0) + 1
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("💾 Yes, save version {version}").format(version=version),
                    callback_data=upload_data(SAVE + CONFIRMED, upload.id),
                )
            ],
            [InlineKeyboardButton(_("Cancel"), callback_data=upload_data(DROP, upload.id))],
        ]
    )
    await send(context, who.chat_id, [Reply(text, markup)])


async def _stale(
    context: Ctx, who: Visitor, render: Renderer, upload: Upload, stale: StaleDefinition
) -> None:
    """Refuse a save over a version saved meanwhile, saying what that version changed."""
    _ = render._
    store = context.services.store
    name = f"<code>{escape(upload.name)}</code>"
    newest = stale.newest or 0
    if upload.based_on is not None:
        refusal = _(
            "⚠️ Not saved: someone saved version {newest} of {name} meanwhile, after this "
            "file was checked against version {checked}."
        )
    else:
        refusal = _(
            "⚠️ Not saved: someone saved {name} meanwhile (it is at version {newest} now), "
            "after this file was checked as something new."
        )
    lines = [refusal.format(newest=newest, name=name, checked=upload.based_on)]
    latest = await store.definition(upload.kind, upload.name, newest)
    earlier = (
        await store.definition(upload.kind, upload.name, upload.based_on)
        if upload.based_on is not None
        else None
    )
    if upload.kind is DefinitionKind.SURVEY and latest is not None and earlier is not None:
        new = await asyncio.to_thread(_stored_survey, latest.source, upload.name)
        old = await asyncio.to_thread(_stored_survey, earlier.source, upload.name)
        if new is not None:
            found = changes(old, new)
            lines.append(
                _("What version {newest} changed since version {checked}:").format(
                    newest=newest, checked=upload.based_on
                )
            )
            lines += [f"• {change_line(render, change, new)}" for change in found.items] or [
                "• " + _("only the file's wording or comments")
            ]
    lines.append(
        _(
            "Nothing was stored. Look at version {newest} (/versions {id}), then send your "
            "file again to compare it with that version."
        ).format(newest=newest, id=escape(upload.name))
    )
    await send(context, who.chat_id, [Reply(_fit(lines))])


async def _show_saved(
    context: Ctx, who: Visitor, render: Renderer, upload: Upload, version: int
) -> None:
    """The saved campaign's card, as /campaigns shows it; a line for the lists."""
    services = context.services
    survey = services.campaigns.get(upload.name)
    if upload.kind is DefinitionKind.SURVEY and survey is not None:
        counts = (await services.store.response_counts()).get(survey.id, (0, 0))
        card = campaign_card(context, render, survey, counts)
        buttons = campaign_buttons(render, survey, services.clock())
        return await send(context, who.chat_id, [Reply(card, buttons)])
    text = render._("✅ {name} is saved as version {version}.").format(
        name=f"<code>{escape(upload.name)}</code>", version=version
    )
    await send(context, who.chat_id, [Reply(text)])
