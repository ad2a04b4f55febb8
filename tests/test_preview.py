"""An organizer tries a campaign at the terminal before opening it: `bot.py preview`."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bot as torget
from authoring.preview import preview
from core.i18n import LOCALES_DIR, Catalogs
from core.survey import Area
from tests.conftest import ROOT, TEST_SURVEYS, Bot
from tests.fakebot import Resident

SURVEYS = ROOT / "surveys"
SODER = SURVEYS / "soder-kvall.yaml"
# Söder after 5 pm is open from November to March; the test campaigns are open, a draft,
# scheduled and closed on this day.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CATALOGS = Catalogs()

# Swedish: every question of Söder, feeling unsafe (so where and a photo are asked),
# with traffic among the biggest differences (so the traffic question is asked too).
SODER_IN_SWEDISH = [
    "2",  # Någon gång i veckan
    "2",  # rather unsafe: the place and the photo questions follow
    "56,0437, 12,6946",
    "hoppa över",  # no photo
    "4",
    "3",
    "1 3",  # better lighting, calmer traffic
    "klar",
    "Bilarna kör för fort på Södergatan",
    "Fler lampor i Slottshagen",
    "",  # the closing note
]


@dataclass
class Transcript:
    code: int
    out: str
    err: str

    def after(self, marker: str) -> str:
        """What the terminal showed after the last time `marker` was typed."""
        return self.out.rsplit(f"> {marker}\n", 1)[1]


def organizer(
    *typed: str,
    survey: str | None = str(SODER),
    lang: str = "sv",
    surveys_dir: Path = SURVEYS,
    area: Area | None = None,
) -> Transcript:
    """The organizer types these lines into `bot.py preview`, then closes the terminal."""
    out: list[str] = []
    err: list[str] = []

    def keyboard(lines: Iterable[str]) -> Iterator[str]:
        for line in lines:
            out.append(f"> {line}")  # as the terminal shows it
            yield line

    code = preview(
        survey,
        lang,
        keyboard(typed),
        out.append,
        catalogs=CATALOGS,
        surveys_dir=surveys_dir,
        area=area,
        error=err.append,
        clock=lambda: NOW,
    )
    return Transcript(code, "\n".join(out) + "\n", "\n".join(err))


def stored(transcript: Transcript) -> dict[str, str]:
    """The closing table of what the response would hold: question id -> value."""
    lines = transcript.out.splitlines()
    heading = max(i for i, line in enumerate(lines) if line.startswith("› "))
    rows = [line.split(maxsplit=1) for line in lines[heading + 1 :] if line.startswith("  ")]
    return {key: value for key, value in rows}


def test_organizer_answers_soder_in_swedish() -> None:
    seen = organizer(*SODER_IN_SWEDISH, "1")
    assert seen.code == 0
    assert "› Förhandsvisning av ”Söder efter kl. 17” (soder-kvall), öppen till" in seen.out
    assert "”hoppa över”" in seen.out and "latitud först" in seen.out  # the conventions
    # As in Telegram: a length that stays true whichever branches the answers take.
    assert "\nHögst 9 frågor, beroende på vad du svarar." in seen.out
    assert "Fråga 1 av högst 9\nHur ofta är du på Söder efter kl. 17?\n  1. Nästan varje dag" in (
        seen.out
    )
    assert "1 = Mycket otrygg · 5 = Mycket trygg\n  [1]  [2]  [3]  [4]  [5]" in seen.out
    assert "Var på Söder känns det otryggt?" in seen.after("2")
    summary = seen.after("")
    assert summary.startswith("\nDina svar\n1. Hur ofta är du på Söder efter kl. 17?\n")
    assert "   → Någon gång i veckan" in summary
    assert "   → (överhoppad)" in summary
    assert "   → Bättre belysning, Lugnare trafik" in summary
    assert "  1. ✅ Skicka in\n  2. ✏️ Ändra ett svar" in summary
    assert "Tack för att du tog dig tid!" in seen.after("1")
    answers = stored(seen)
    assert answers["how_often_evening"] == '"weekly"'
    assert answers["feel_safe_evening"] == "2"
    assert answers["unsafe_photo"] == "null  (överhoppad)"
    assert answers["biggest_difference"] == '["lighting", "traffic"]'
    assert answers["traffic_comment"] == '"Bilarna kör för fort på Södergatan"'
    assert answers["one_thing"] == '"Fler lampor i Slottshagen"'


def test_organizer_answers_soder_in_english() -> None:
    # Feels rather safe (4): neither the place nor the photo is asked.
    typed = ["1", "4", "5", "5", "2 6", "done", "skip", "", "1"]
    seen = organizer(*typed, lang="en")
    assert seen.code == 0
    assert "› Preview of “Söder after 5 pm” (soder-kvall), open until" in seen.out
    assert "“skip” skips a question that is not required" in seen.out
    assert "\nAt most 9 questions, depending on your answers." in seen.out
    # Six questions asked (the ticks show the fifth again), each of at most nine: never
    # "of 6" at first and "of 8" later.
    numbers = re.findall(r"\nQuestion (\d+) of at most 9\n", seen.out)
    assert numbers == ["1", "2", "3", "4", "5", "5", "6"]
    assert not re.search(r"Question \d+ of \d", seen.out)
    assert (
        "Question 1 of at most 9\nHow often are you in Söder after 5 pm?\n  1. Almost every day"
        in (seen.out)
    )
    assert "Where in Söder does it feel unsafe?" not in seen.out
    assert "Your answers\n1. How often are you in Söder after 5 pm?\n   → Almost every day" in (
        seen.out
    )
    assert "Thank you for taking the time!" in seen.out
    answers = stored(seen)
    assert answers["feel_safe_evening"] == "4"
    assert answers["biggest_difference"] == '["cleaning", "activities"]'
    assert answers["one_thing"] == "null  (skipped)"
    assert answers["where_unsafe"] == "(not shown, nothing stored)"
    assert answers["traffic_comment"] == "(not shown, nothing stored)"


def test_the_place_question_appears_only_for_those_who_feel_unsafe() -> None:
    unsafe = organizer("1", "3")
    assert unsafe.after("3").startswith(
        "\nFråga 3 av högst 9\n"
        "Var på Söder känns det otryggt? Dela platsen eller välj den på kartan."
    )
    safe = organizer("1", "4")
    assert safe.after("4").startswith(
        "\nFråga 3 av högst 9\nHur upplever du belysningen på gator och i parker på kvällen?"
    )


def test_traffic_comment_is_asked_only_when_traffic_is_chosen() -> None:
    start = ["1", "5", "3", "3"]
    with_traffic = organizer(*start, "3", "klar")
    assert "Var och när känns trafiken otrygg?" in with_traffic.after("klar")
    without = organizer(*start, "1", "klar")
    assert "Var och när känns trafiken otrygg?" not in without.out


def test_a_scale_answer_out_of_range_gets_the_residents_message_and_the_question_again() -> None:
    seen = organizer("1", "9")
    assert seen.after("9") == (
        "\nDen här frågan besvarar du med knapparna.\n"
        "› Skriv ett tal mellan 1 och 5.\n"
        "Fråga 2 av högst 9\n"
        "Hur trygg känner du dig på Söder efter kl. 17?\n"
        "1 = Mycket otrygg · 5 = Mycket trygg\n"
        "  [1]  [2]  [3]  [4]  [5]\n"
        "  [⬅ Tillbaka]\n"
        "\n› Förhandsvisningen är avslutad. Inget sparades.\n"
    )


def test_a_number_too_large_gets_the_residents_message() -> None:
    # test-kvall: safe 4 (no place), fixes, a note, then evenings a month from 0 to 62.
    seen = organizer("4", "1", "klar", "", "100", "3,5", survey=str(TEST_SURVEYS / "kvall.yaml"))
    assert seen.after("100").startswith(
        "\nTalet får vara högst 62.\nFråga 3 av högst 7\n"
        "Hur många kvällar i månaden är du på Söder?\n"
    )
    assert seen.after("3,5").startswith("\nSkriv ett heltal, utan decimaler.\n")


def test_choosing_more_than_allowed_is_refused_as_in_telegram() -> None:
    seen = organizer("1", "5", "3", "3", "1 2 3 4")
    assert "Du kan välja högst 3. Avmarkera något först." in seen.after("1 2 3 4")
    assert "  4. ▫️ Mer synlig polis" in seen.after("1 2 3 4")


def test_back_shows_the_earlier_question_with_its_answer() -> None:
    seen = organizer("3", "tillbaka", "1")
    assert seen.after("tillbaka").startswith(
        "\nFråga 1 av högst 9\nHur ofta är du på Söder efter kl. 17?\n"
        "Du har svarat: Någon gång i månaden\n"
        "  1. Nästan varje dag\n  2. Någon gång i veckan\n  3. ✓ Någon gång i månaden\n"
    )
    assert "Fråga 2 av högst 9" in seen.after("1")


def test_back_on_the_first_question_says_there_is_nothing_before_it() -> None:
    seen = organizer("back")
    assert seen.after("back").startswith(
        "\n› Det här är första frågan, så det finns inget att gå tillbaka till.\n"
        "Fråga 1 av högst 9\n"
    )


def test_skip_on_an_optional_question_and_refused_on_a_required_one() -> None:
    seen = organizer("hoppa över", "1", "2", "skip")
    assert seen.after("hoppa över").startswith(
        "\nDen här frågan behöver ett svar.\nFråga 1 av högst 9\n"
    )
    assert seen.after("skip").startswith("\nFråga 4 av högst 9\nHar du en bild på platsen?")


def test_a_place_typed_as_two_numbers_is_taken_and_coarsened_as_stored() -> None:
    seen = organizer(*SODER_IN_SWEDISH, "1")
    # Snapped to its 100 m cell, which is near a place of places.yaml: named, as in Telegram.
    assert "   → 📍 nära Knutpunkten (Helsingborg C)" in seen.out
    place = json.loads(stored(seen)["where_unsafe"])
    assert place.keys() == {"lat", "lon"}
    assert round(place["lat"], 2) == 56.04 and place["lat"] != 56.0437
    assert (
        organizer("1", "2", "56.0437 12.6946")
        .after("56.0437 12.6946")
        .startswith("\nFråga 4 av högst 9\nHar du en bild på platsen?")
    )


def test_a_place_typed_as_a_name_gets_the_residents_message_and_how_to_type_it() -> None:
    seen = organizer("1", "2", "Stortorget")
    assert seen.after("Stortorget").startswith(
        "\nDela en plats: tryck på ”📍 Dela min plats” eller välj en med 📎 → Plats.\n"
        "› Skriv platsen som två tal, latitud först: 56.0437 12.6946.\n"
        "Fråga 3 av högst 9\n"
    )


def test_a_place_outside_the_deployments_area_is_refused_as_in_telegram() -> None:
    helsingborg = Area(west=12.6, south=55.9, east=12.9, north=56.2)  # AREA_BBOX
    seen = organizer("1", "2", "59.3293 18.0686", "56.0437 12.6946", area=helsingborg)
    assert seen.after("59.3293 18.0686").startswith(
        "\nDen platsen ligger långt utanför området det gäller. Välj en plats i området, eller "
        "hoppa över frågan.\nFråga 3 av högst 9\n"
    )
    assert seen.after("56.0437 12.6946").startswith("\nFråga 4 av högst 9\n")


def test_a_photo_is_a_path_to_an_image_file(tmp_path: Path) -> None:
    photo = tmp_path / "lampa.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a small jpeg")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo", encoding="utf-8")
    seen = organizer("1", "2", "skip", str(tmp_path / "saknas.jpg"), str(notes), str(photo))
    assert seen.after(str(tmp_path / "saknas.jpg")).startswith(
        f"\n› Filen {tmp_path / 'saknas.jpg'} finns inte.\nFråga 4 av högst 9\n"
    )
    assert seen.after(str(notes)).startswith(
        "\nSkicka en bild (📎 → Foto).\n› Skriv sökvägen till en bildfil.\nFråga 4 av högst 9"
    )
    assert seen.after(str(photo)).startswith("\nFråga 5 av högst 9\n")


def test_the_summary_lets_the_organizer_change_an_answer() -> None:
    seen = organizer(*SODER_IN_SWEDISH, "2", "1", "4", "1")
    assert seen.after("2").startswith(
        "\nVilket svar vill du ändra?\n  1. Hur ofta är du på Söder efter kl. 17?\n"
    )
    chosen = seen.out.split("\n> 2\n")[-1].split("\n> 4\n")[0]
    assert "Fråga 1 av högst 9\nHur ofta är du på Söder efter kl. 17?\n" in chosen
    assert "Du har svarat: Någon gång i veckan" in chosen
    assert "   → Sällan eller aldrig" in seen.after("4")
    assert stored(seen)["how_often_evening"] == '"rarely"'


def test_the_list_of_answers_to_change_goes_back_to_the_summary() -> None:
    seen = organizer(*SODER_IN_SWEDISH, "2", "tillbaka", "1")
    assert "  [⬅ Tillbaka till sammanfattningen]" in seen.after("2")
    assert seen.after("tillbaka").startswith("\nDina svar\n1. Hur ofta")
    assert stored(seen)["how_often_evening"] == '"weekly"'


def plain(telegram_html: str) -> str:
    """A Telegram message as the resident reads it: no bold or italics, no entities."""
    return html.unescape(re.sub(r"</?[bi]>", "", telegram_html))


async def test_the_preview_says_what_a_resident_reads_in_telegram(
    bot: Bot, resident: Resident
) -> None:
    await resident.send("/start")
    await resident.click("Jag godkänner")
    await resident.click("Kvällen på Söder")
    telegram = [plain(resident.texts()[-2]), plain(resident.last_text())]  # intro, question 1
    await resident.click("2")
    telegram.append(plain(resident.last_text()))  # where: the branch opened
    await resident.send("56,0437, 12,6946")  # typed as the preview's organizer types it
    telegram.append(plain(resident.last_text()))  # what would make a difference
    await resident.click("Bättre belysning")
    await resident.click("Klar")
    await resident.click("Fortsätt")
    await resident.send("100")
    telegram += [plain(resident.texts()[-2]), plain(resident.last_text())]  # refused, again
    assert telegram[-2] == "Talet får vara högst 62."

    seen = organizer(
        "2", "56,0437, 12,6946", "1", "klar", "", "100", survey=str(TEST_SURVEYS / "kvall.yaml")
    )
    for text in telegram:
        assert text in seen.out


def test_a_broken_survey_file_gives_the_same_problems_as_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "soder.yaml"
    broken.write_text(
        SODER.read_text(encoding="utf-8").replace("type: location", "type: geopoint"),
        encoding="utf-8",
    )
    seen = organizer(survey=str(broken))
    assert seen.code == 1
    assert "question 'where_unsafe': type 'geopoint' is unknown; did you mean 'location'?" in (
        seen.err
    )
    assert seen.err.endswith("1 problem(s) found.")
    assert seen.out == "\n"  # no question is asked
    assert torget.main(["validate", str(broken)]) == 1
    assert capsys.readouterr().err.strip() == seen.err


def test_a_campaign_id_in_a_folder_with_a_broken_file_names_the_problems(tmp_path: Path) -> None:
    (tmp_path / "soder-kvall.yaml").write_text(SODER.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "halvfardig.yaml").write_text("id: halvfardig\ntitle: x\n", encoding="utf-8")
    seen = organizer(survey="soder-kvall", surveys_dir=tmp_path)
    assert seen.code == 1
    assert f"{tmp_path / 'halvfardig.yaml'} line 2: 'title' needs both languages" in seen.err
    assert "Fråga 1" not in seen.out


def test_a_file_too_large_to_be_a_survey_is_refused_as_by_validate(tmp_path: Path) -> None:
    huge = tmp_path / "soder.yaml"
    with huge.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024)
    seen = organizer(survey=str(huge))
    assert seen.code == 1
    assert seen.err.startswith(f"{huge}: the file is 5.0 MB; a survey file may be at most 1 MB")
    assert seen.out == "\n"  # no question is asked


def test_leaving_early_says_nothing_was_stored() -> None:
    ended = organizer("2", "3")  # the input ends: Ctrl-D
    assert ended.code == 0
    assert ended.out.endswith("\n› Förhandsvisningen är avslutad. Inget sparades.\n")
    assert "skulle svaret sparas" not in ended.out
    quit = organizer("2", "quit", "3", lang="en")
    assert quit.code == 0
    assert quit.after("quit") == "\n› Preview ended. Nothing was stored.\n"


def test_without_a_survey_the_organizer_picks_one_of_every_state() -> None:
    seen = organizer("7", "4", survey=None, surveys_dir=TEST_SURVEYS)
    listing = seen.out.split("> 7", 1)[0]
    assert listing.startswith(f"› Kampanjer i {TEST_SURVEYS}:\n")
    assert listing.endswith(
        "  1. Kvällen på Söder (test-kvall): öppen till 31 mars 2027 23:59\n"
        "  2. Snabbfråga (test-igen): öppen nu\n"
        "  3. Julhandeln på Söder (test-senare): öppnar 2 dec. 2026 08:00\n"
        "  4. Torgets framtid (test-utkast): utkast, inte öppen för invånare\n"
        "  5. Stängd enkät (test-stangd): stängd sedan 1 feb. 2025 08:00\n"
        "› Vilken vill du prova? Skriv numret.\n"
    )
    assert seen.after("7").startswith("› Skriv ett tal mellan 1 och 5.\n")
    assert "› Förhandsvisning av ”Torgets framtid” (test-utkast), utkast" in seen.after("4")
    assert "Behövs fler bänkar på torget?" in seen.after("4")


def test_a_campaign_id_that_is_not_there_names_those_that_are() -> None:
    seen = organizer(survey="soder-natt", lang="en")
    assert seen.code == 1
    assert seen.err.startswith(f"There is no campaign “soder-natt” in {SURVEYS}. There are: ")
    assert "soder-kvall" in seen.err


def test_preview_runs_from_the_command_line_without_a_token(tmp_path: Path) -> None:
    typed = "\n".join([*SODER_IN_SWEDISH, "1"]) + "\n"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "preview", "soder-kvall", "--lang", "sv"],
        input=typed,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "SURVEYS_DIR": str(SURVEYS)},
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "> 56,0437, 12,6946\n" in result.stdout  # a piped transcript shows what was typed
    assert "Fråga 1 av högst 9\nHur ofta är du på Söder efter kl. 17?" in result.stdout
    assert "Tack för att du tog dig tid!" in result.stdout
    assert '  biggest_difference  ["lighting", "traffic"]' in result.stdout
    assert not list(tmp_path.iterdir())  # no database, no data folder


def test_ctrl_d_at_the_command_line_ends_cleanly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "preview", str(SODER), "--lang", "en"],
        input="2\n",
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("› Preview ended. Nothing was stored.\n")


def test_every_preview_text_is_translated_into_swedish() -> None:
    # tests/test_i18n.py reads core/ and handlers/; the organizers' tools speak Swedish too.
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    texts = {
        message[0] if isinstance(message, tuple) else message
        for *_where, message, _comments, _context in extract_from_dir(
            ROOT / "authoring", keywords=keywords
        )
    }
    with (LOCALES_DIR / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        swedish = {m.id: m for m in read_po(handle, locale="sv") if m.id}
    assert "Preview ended. Nothing was stored." in texts
    assert sorted(t for t in texts if t not in swedish or not swedish[t].string) == []
    assert not [t for t in texts if swedish[t].fuzzy]
