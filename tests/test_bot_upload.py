"""Organizers send a survey file in Telegram, see what changed, save it, download any version."""

from __future__ import annotations

from html import escape
from pathlib import Path

import openpyxl
import pytest

from core.i18n import Catalogs
from core.loader import SurveyFileError, check_survey, parse_survey
from runtime.housekeeping import tidy
from storage.definitions import DefinitionKind
from tests.conftest import ADMIN_ID, TEST_SURVEYS, Bot
from tests.fakebot import Resident
from tests.test_xlsform import HEAD, YES_NO, question, xlsform

KVALL = (TEST_SURVEYS / "kvall.yaml").read_text(encoding="utf-8")
DRAFT = (TEST_SURVEYS / "draft.yaml").read_text(encoding="utf-8")
# A new campaign, open since November: residents can answer it as soon as it is saved.
TORG = """\
id: test-torg
title: {sv: "Torget på kvällen", en: "The square at night"}
opens: 2026-11-01T08:00:00+01:00
questions:
  - id: lights
    type: select_one
    text: {sv: "Räcker belysningen på torget?", en: "Is the square lit well enough?"}
    choices:
      - {id: yes, label: {sv: "Ja", en: "Yes"}}
      - {id: no, label: {sv: "Nej", en: "No"}}
  - id: words
    type: text
    text: {sv: "Något mer?", en: "Anything else?"}
""".replace("id: yes,", "id: ja,").replace("id: no,", "id: nej,")


async def upload(admin: Resident, name: str, text: str, file_id: str = "up-1") -> None:
    await admin.send_document(name, "application/x-yaml", file_id=file_id, content=text.encode())


def file_calls(bot: Bot) -> list[str]:
    return [call.method for call in bot.fake.calls if call.method == "getFile"]


async def test_an_organizer_sends_a_survey_saves_it_and_residents_answer_it(bot: Bot) -> None:
    admin = bot.admin()
    await upload(admin, "torg.yaml", TORG)
    card = admin.last_text()
    assert card.startswith("📄 Ny: <code>test-torg</code>")
    assert "🇸🇪 <b>Torget på kvällen</b>" in card and "🇬🇧 <b>The square at night</b>" in card
    assert "2 frågor:\n1. Räcker belysningen på torget?\n2. Något mer?" in card
    assert admin.buttons() == ["💾 Spara som version 1", "Avbryt"]
    assert bot.fake.downloads == ["up-1"]

    await admin.click("💾 Spara som version 1")
    assert "Sparad som version 1" in admin.answered_callbacks()
    # The campaign's card, as /campaigns shows it.
    assert admin.last_text().startswith("🟢 <b>Torget på kvällen</b> · <code>test-torg</code>")
    [saved] = await bot.services.store.definition_history(DefinitionKind.SURVEY, "test-torg")
    assert (saved.version, saved.source, saved.origin) == (1, TORG, "telegram")
    assert saved.author == bot.services.pseudonymize(ADMIN_ID)

    resident = bot.resident()
    await resident.onboard()
    await resident.click("Torget på kvällen")
    assert "Räcker belysningen på torget?" in resident.last_text()


async def test_an_organizer_reads_the_card_in_english(bot: Bot) -> None:
    admin = bot.admin(language_code="en")
    await upload(admin, "torg.yaml", TORG)
    assert admin.last_text().startswith("📄 New: <code>test-torg</code>")
    assert "2 questions:\n1. Is the square lit well enough?" in admin.last_text()
    assert admin.buttons() == ["💾 Save as version 1", "Cancel"]
    await admin.click("Cancel")
    assert "Cancelled: nothing was saved." in admin.answered_callbacks()
    assert await bot.services.store.definition_history(DefinitionKind.SURVEY, "test-torg") == []
    assert await bot.services.store.upload(1) is None


@pytest.mark.parametrize("broken", ["misspelled_type.yaml", "several_rules_at_once.yaml"])
async def test_a_broken_file_is_answered_with_the_lines_validate_prints(
    bot: Bot, broken: str
) -> None:
    text = (TEST_SURVEYS / "broken" / broken).read_text(encoding="utf-8")
    with pytest.raises(SurveyFileError) as validated:
        check_survey(text, broken)
    admin = bot.admin()
    await upload(admin, broken, text)
    answer = admin.last_text()
    assert answer.startswith(f"⚠️ {broken} har fel, så inget har sparats.")
    # The lines of `validate --lang sv`: a Swedish organizer reads no English line.
    for problem in validated.value.problems:
        assert escape(problem.render(Catalogs().get("sv"))) in answer
        assert escape(str(problem)) not in answer
    count = len(validated.value.problems)
    assert answer.endswith(f"{count} problem hittades.")
    assert await bot.services.store.upload(1) is None


async def test_a_broken_file_in_swedish_and_in_english(bot: Bot) -> None:
    text = (TEST_SURVEYS / "broken" / "choice_id_yes.yaml").read_text(encoding="utf-8")
    swedish = bot.admin()
    await upload(swedish, "soder-park.yaml", text)
    assert (
        escape(
            "soder-park.yaml rad 11, fråga 'how_often', val 1: 'id' lästes som ett ja/nej-värde, "
            "inte som text: utan citattecken läser YAML yes, no, on, off, true och false så; "
            'sätt ordet inom citattecken, till exempel "yes"'
        )
        in swedish.last_text()
    )
    english = bot.admin(language_code="en")
    await upload(english, "soder-park.yaml", text, file_id="up-2")
    answer = english.last_text()
    assert answer.startswith("⚠️ soder-park.yaml has problems, so nothing was kept.")
    assert (
        escape(
            "soder-park.yaml line 11, question 'how_often', choice 1: 'id' was read as a yes/no "
            "value, not as text: without quotes YAML reads yes, no, on, off, true and false that "
            'way; put the word in quotes, like "yes"'
        )
        in answer
    )
    assert "rad 11" not in answer
    assert await bot.services.store.upload(1) is None


async def test_an_oversized_file_is_refused_without_fetching_it(bot: Bot) -> None:
    admin = bot.admin()
    await admin.send_document("soder.yaml", "application/x-yaml", file_size=3_000_000)
    assert "Filen är 2,9 MB, men en fil som skickas hit får vara högst 1 MB" in admin.last_text()
    await admin.send_document("form.xlsx", None, file_size=6 * 1024 * 1024, file_id="xl")
    assert "högst 5 MB" in admin.last_text()
    assert file_calls(bot) == []
    # Telegram does not always say how large a file is: then it is measured once fetched.
    await admin.send_document(
        "soder.yaml", None, file_id="big", content=b"#" * 1_100_000, unsized=True
    )
    assert "högst 1 MB" in admin.last_text()


async def test_another_kind_of_file_from_an_organizer_is_told_what_is_taken(bot: Bot) -> None:
    admin = bot.admin()
    await admin.send_document("protokoll.pdf", "application/pdf")
    assert admin.last_text().startswith("Här kan du skicka en enkätfil: en .yaml-fil")
    assert file_calls(bot) == []


async def test_a_residents_yaml_file_is_a_message_like_any_other(bot: Bot) -> None:
    someone, another = bot.resident(2001), bot.resident(2002)
    for person in (someone, another):
        await person.onboard()
    await upload(someone, "torg.yaml", TORG)
    await another.send_document("protokoll.pdf", "application/pdf")
    assert someone.last_text() == another.last_text()
    assert "test-torg" not in someone.last_text()
    assert file_calls(bot) == [] and bot.fake.downloads == []


async def test_an_xlsform_is_imported_checked_and_saved(bot: Bot, tmp_path: Path) -> None:
    form = xlsform(
        tmp_path / "trygghet.xlsx",
        [HEAD, question("select_one yes_no", "lit"), question("text", "why", "no")],
        YES_NO,
    )
    admin = bot.admin()
    await admin.send_document("trygghet.xlsx", None, file_id="xl-1", content=form.read_bytes())
    assert admin.last_text().startswith("📄 Ny: <code>torget-test</code>")
    assert "2 frågor:\n1. Fråga lit\n2. Fråga why" in admin.last_text()
    await admin.click("Spara som version 1")
    [saved] = await bot.services.store.definition_history(DefinitionKind.SURVEY, "torget-test")
    assert saved.source.startswith("# Imported from the XLSForm trygghet.xlsx")
    assert parse_survey(saved.source, "x").questions[0].id == "lit"


async def test_a_file_that_is_no_xlsform_is_explained(bot: Bot) -> None:
    admin = bot.admin()
    await admin.send_document("form.xlsx", None, file_id="junk", content=b"not a zip at all")
    # openpyxl's own reason arrives in English and is shown as it is, after Swedish words.
    assert admin.last_text().startswith(
        "Jag kunde inte importera det här XLSForm-formuläret, så inget har sparats: "
        "form.xlsx är ingen Excel-arbetsbok (.xlsx): "
    )
    assert "/tmp" not in admin.last_text()


def workbook_without_a_survey_sheet(path: Path) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Blad1"
    workbook.active.append(["namn", "svar"])
    workbook.save(path)
    return path.read_bytes()


async def test_a_workbook_that_is_no_xlsform_is_explained_in_swedish_and_english(
    bot: Bot, tmp_path: Path
) -> None:
    content = workbook_without_a_survey_sheet(tmp_path / "lista.xlsx")
    admin = bot.admin()
    await admin.send_document("lista.xlsx", None, file_id="no-form", content=content)
    assert admin.last_text() == escape(
        "Jag kunde inte importera det här XLSForm-formuläret, så inget har sparats: lista.xlsx "
        "är inget XLSForm-formulär: den har inget blad 'survey' (dess blad: 'Blad1'). Ett "
        "XLSForm-formulär har ett blad 'survey' med kolumnerna type, name och label, och ett "
        "blad 'choices' för svarslistorna."
    )
    english = bot.admin(language_code="en")
    await english.send_document("lista.xlsx", None, file_id="no-form", content=content)
    assert escape("lista.xlsx is not an XLSForm: it has no 'survey' sheet") in english.last_text()
    assert await bot.services.store.upload(1) is None


def form_with_notes(path: Path) -> bytes:
    """A form with a type Torget lacks (a note: not carried over) and a name that is no
    Torget id (a note: changed on the way)."""
    rows = [
        HEAD,
        question("select_one yes_no", "lit"),
        question("text", "Why Now", "no"),
        question("date", "when"),
    ]
    return xlsform(path, rows, YES_NO).read_bytes()


async def test_an_xlsforms_notes_are_in_the_organizers_language(bot: Bot, tmp_path: Path) -> None:
    content = form_with_notes(tmp_path / "trygghet.xlsx")
    swedish, english = bot.admin(), bot.admin(language_code="en")
    await swedish.send_document("trygghet.xlsx", None, file_id="xl-3", content=content)
    card = swedish.last_text()
    assert card.startswith("📄 Ny: <code>torget-test</code>")
    lost = escape(
        "– survey rad 4: 'when': typen 'date' har ingen motsvarighet i Torget (en textfråga "
        "kan fråga efter det); utelämnas"
    )
    changed = escape(
        "– survey rad 3: frågan 'Why Now' fick id:t 'why_now' (id:n i Torget består av små "
        "bokstäver, siffror och _)"
    )
    assert f"{lost}\n{changed}" in card
    assert "row" not in card and "carried over" not in card

    await english.send_document("trygghet.xlsx", None, file_id="xl-3", content=content)
    card = english.last_text()
    assert card.startswith("📄 New: <code>torget-test</code>")
    lost = escape(
        "– survey row 4: 'when': type 'date' has no counterpart in Torget (a text question "
        "could ask for it); left out"
    )
    changed = escape(
        "– survey row 3: the question 'Why Now' has the id 'why_now' (Torget ids are "
        "lower-case letters, digits and _)"
    )
    assert f"{lost}\n{changed}" in card


async def test_a_save_over_a_version_saved_meanwhile_is_refused_with_what_it_changed(
    bot: Bot,
) -> None:
    store = bot.services.store
    await store.import_definition(
        DefinitionKind.SURVEY, "test-utkast", DRAFT, bot.clock(), origin="file:draft.yaml"
    )
    admin = bot.admin()
    await upload(admin, "draft.yaml", DRAFT.replace("Torgets framtid", "Torget i framtiden"))
    assert admin.last_text().startswith("📄 Version 2 av <code>test-utkast</code>")
    assert "Det här har ändrats sedan version 1:\n• Ny titel" in admin.last_text()
    # Another organizer saves their own version 2 first.
    maybe = DRAFT + '      - {id: kanske, label: {sv: "Kanske", en: "Maybe"}}\n'
    await store.save_definition(
        DefinitionKind.SURVEY,
        "test-utkast",
        maybe,
        bot.clock(),
        origin="telegram",
        author="someone-else",
        based_on=1,
    )
    await admin.click("Spara som version 2")
    refusal = admin.last_text()
    assert refusal.startswith(
        "⚠️ Inte sparad: någon annan har sparat version 2 av <code>test-utkast</code> under "
        "tiden, efter att den här filen jämfördes med version 1."
    )
    assert (
        "Det här ändrade version 2 jämfört med version 1:\n"
        "• Frågan <code>benches</code>: nytt svarsalternativ <code>kanske</code>"
    ) in refusal
    history = await store.definition_history(DefinitionKind.SURVEY, "test-utkast")
    assert [(d.version, d.source) for d in history] == [(2, maybe), (1, DRAFT)]


async def test_a_change_that_breaks_answers_needs_a_second_confirmation(bot: Bot) -> None:
    store = bot.services.store
    await store.import_definition(
        DefinitionKind.SURVEY, "test-kvall", KVALL, bot.clock(), origin="file:kvall.yaml"
    )
    resident = bot.resident()
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("4")  # an answer to "safe"
    changed = KVALL.replace(
        '      - {id: presence, label: {sv: "Fler vuxna ute", en: "More adults around"}}\n', ""
    ).replace("  - id: info\n    type: note", "  - id: info\n    type: note\n    required: false")
    admin = bot.admin()
    await upload(admin, "kvall.yaml", changed)
    card_id = admin.last_message_id()
    assert (
        "• ⚠️ Frågan <code>fixes</code>: svarsalternativet <code>presence</code> är borttaget"
    ) in admin.last_text()
    assert "⚠️ Ändringar märkta med ⚠️ passar inte ihop med svar" in admin.last_text()
    await admin.click("Spara som version 2")
    assert admin.last_text() == (
        "Svaren som redan finns på <code>fixes</code> kommer inte att stämma med den nya "
        "versionen. Vill du spara ändå?"
    )
    assert len(await store.definition_history(DefinitionKind.SURVEY, "test-kvall")) == 1
    await admin.click("💾 Ja, spara version 2")
    history = await store.definition_history(DefinitionKind.SURVEY, "test-kvall")
    assert [d.version for d in history] == [2, 1] and history[0].source == changed
    # The card's Save pressed again, from further up the chat: saved once is enough.
    await admin.click_on(card_id, "Spara som version 2")
    assert admin.answered_callbacks()[-1] == "Den här filen är redan sparad eller avbruten."
    assert len(await store.definition_history(DefinitionKind.SURVEY, "test-kvall")) == 2


async def test_the_same_file_again_has_nothing_to_save(bot: Bot) -> None:
    await bot.services.store.import_definition(
        DefinitionKind.SURVEY, "test-utkast", DRAFT, bot.clock(), origin="file:draft.yaml"
    )
    admin = bot.admin()
    await upload(admin, "draft.yaml", DRAFT)
    assert admin.last_text() == (
        "Filen är exakt version 1 av <code>test-utkast</code>: det finns inget nytt att spara."
    )


async def test_any_version_downloads_as_the_file_it_was_saved_from(bot: Bot) -> None:
    admin = bot.admin()
    await upload(admin, "torg.yaml", TORG)
    await admin.click("Spara som version 1")
    edited = TORG.replace("Något mer?", "Något mer du vill säga?")
    await upload(admin, "test-torg-v1.yaml", edited, file_id="up-2")
    assert "• Frågan <code>words</code>: ny text" in admin.last_text()
    await admin.click("Spara som version 2")

    await admin.send("/versions test-torg")
    listing = admin.last_text()
    assert listing.startswith("Versioner av <code>test-torg</code>, den senaste först:\nv2 · ")
    assert listing.endswith(" · du")
    assert admin.buttons() == ["⬇ v2", "⬇ v1"]
    await admin.click("⬇ v1")
    sent = [call for call in bot.fake.calls if call.method == "sendDocument"][-1]
    assert sent.params["_files"]["document"] == TORG.encode()
    assert sent.params["_filenames"]["document"] == "test-torg-v1.yaml"
    # The card's ⬇ YAML gives the current version.
    await admin.send("/campaigns")
    card = max(
        mid
        for (chat, mid), message in bot.fake.messages.items()
        if chat == ADMIN_ID and "<code>test-torg</code>" in message.get("text", "")
    )
    await admin.click_on(card, "⬇ YAML")
    sent = [call for call in bot.fake.calls if call.method == "sendDocument"][-1]
    assert sent.params["_files"]["document"] == edited.encode()
    assert sent.params["_filenames"]["document"] == "test-torg-v2.yaml"
    # A campaign from the surveys folder was stored as version 1 at start-up: its file.
    from_folder = max(
        mid
        for (chat, mid), message in bot.fake.messages.items()
        if chat == ADMIN_ID and "<code>test-kvall</code>" in message.get("text", "")
    )
    await admin.click_on(from_folder, "⬇ YAML")
    sent = [call for call in bot.fake.calls if call.method == "sendDocument"][-1]
    assert sent.params["_files"]["document"] == (TEST_SURVEYS / "kvall.yaml").read_bytes()
    assert sent.params["_filenames"]["document"] == "test-kvall-v1.yaml"


async def test_categories_are_sent_and_saved_by_the_files_name(bot: Bot) -> None:
    categories = """\
categories:
  - {id: light, label: {sv: "Belysning", en: "Lighting"}}
  - {id: litter, label: {sv: "Skräp", en: "Litter"}}
  - {id: traffic, label: {sv: "Trafik", en: "Traffic"}}
"""
    admin = bot.admin()
    await upload(admin, "categories.yaml", categories)
    assert admin.last_text() == "📄 Ny: <code>categories</code>\n3 kategorier"
    await admin.click("Spara som version 1")
    assert admin.last_text() == "✅ <code>categories</code> är sparad som version 1."
    [saved] = await bot.services.store.definition_history(DefinitionKind.CATEGORIES, "categories")
    assert saved.source == categories
    # Broken, it is checked as a categories file is.
    await upload(admin, "categories-v1.yaml", "categories: []\n", file_id="up-2")
    assert admin.last_text().startswith("⚠️ categories-v1.yaml har fel")


async def test_a_file_never_saved_is_forgotten_after_a_day(bot: Bot) -> None:
    admin = bot.admin()
    await upload(admin, "torg.yaml", TORG)
    bot.clock.advance(days=1, minutes=1)
    await tidy(bot.services)
    await admin.click("Spara som version 1")
    assert admin.answered_callbacks()[-1] == "Den här filen är redan sparad eller avbruten."
    assert await bot.services.store.definition_history(DefinitionKind.SURVEY, "test-torg") == []


async def test_an_xlsform_whose_survey_has_problems_comes_back_as_yaml_to_fix(
    bot: Bot, tmp_path: Path
) -> None:
    untranslated = ["text", "why", "Varför?", None, "yes", None, None, None]
    form = xlsform(tmp_path / "halvklar.xlsx", [HEAD, question("text", "what"), untranslated])
    admin = bot.admin()
    await admin.send_document("halvklar.xlsx", None, file_id="xl-2", content=form.read_bytes())
    problems = admin.texts()[-2]
    assert problems.startswith("⚠️ halvklar.xlsx har fel, så inget har sparats.")
    # Lines of the survey made from the form, which comes back to be fixed and sent again.
    assert "halvklar.yaml rad " in problems
    assert escape("fråga 'why': 'text' saknar engelsk text ('en:')") in problems
    returned = [call for call in bot.fake.calls if call.method == "sendDocument"][-1]
    assert returned.params["_filenames"]["document"] == "halvklar.yaml"
    assert b"id: why" in returned.params["_files"]["document"]
    assert await bot.services.store.upload(1) is None
