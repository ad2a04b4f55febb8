"""A small town for the web view's browser tests: two areas, their campaigns, and what
residents said there, every bit of it sent through the fake Bot API as residents would.

Söder and Centrum are two boxes of Helsingborg that do not overlap. Eva organizes Söder,
Oskar Centrum. Söder has three tips (one with a photo of the dark passage) and four survey
responses with a place (one with a photo); Centrum has one tip and one located response.
Nothing is written to the store directly.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image

from tests.conftest import ADMIN_ID, Bot
from tests.fakebot import Resident

SODER_BOX = "{west: 12.690, south: 56.030, east: 12.720, north: 56.042}"
CENTRUM_BOX = "{west: 12.685, south: 56.044, east: 12.705, north: 56.055}"


def survey(survey_id: str, title: str, area: str, box: str) -> str:
    return f"""\
id: {survey_id}
title: {{sv: "{title}", en: "{title} (en)"}}
area_name: {area}
area: {box}
opens: 2026-11-01T08:00:00+01:00
questions:
  - id: safe
    type: scale
    min: 1
    max: 5
    min_label: {{sv: "Mycket otrygg", en: "Very unsafe"}}
    max_label: {{sv: "Mycket trygg", en: "Very safe"}}
    text: {{sv: "Hur trygg känner du dig efter kl. 17?", en: "How safe do you feel after 5 pm?"}}
  - id: where
    type: location
    text: {{sv: "Var känns det otryggt?", en: "Where does it feel unsafe?"}}
  - id: fixes
    type: select_one
    text: {{sv: "Vad skulle göra mest skillnad?", en: "What would make the most difference?"}}
    choices:
      - {{id: light, label: {{sv: "Bättre belysning", en: "Better lighting"}}}}
      - {{id: presence, label: {{sv: "Fler vuxna ute", en: "More adults around"}}}}
  - id: photo
    type: photo
    required: false
    text: {{sv: "Har du en bild på platsen?", en: "Do you have a photo of the place?"}}
  - id: words
    type: text
    max_length: 300
    text: {{sv: "Något mer du vill säga?", en: "Anything else you want to say?"}}
"""


def write_surveys(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "soder.yaml").write_text(
        survey("soder-kvall", "Kvällen på Söder", "Söder", SODER_BOX), encoding="utf-8"
    )
    (folder / "centrum.yaml").write_text(
        survey("centrum-kvall", "Kvällen i Centrum", "Centrum", CENTRUM_BOX), encoding="utf-8"
    )
    return folder


def jpeg(width: int = 640, height: int = 480) -> bytes:
    """A photo as a phone sends it: a JPEG (the stored copy is re-encoded without metadata)."""
    picture = Image.new("RGB", (width, height), (40, 44, 60))
    for x in range(width // 3, width // 3 + 40):
        for y in range(height):
            picture.putpixel((x, y), (230, 200, 90))  # a lamp post's light on the dark passage
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass
class Tip:
    text: str
    lat: float
    lon: float
    time_button: str  # "På dagen", "På kvällen", "På natten"
    photo: str | None = None  # the file_id the resident's phone sends


SODER_TIPS = [
    Tip("Passagen bakom stationen är mörk efter tio.", 56.0365, 12.7005, "På natten", "passage"),
    Tip("Ingen belysning vid busshållplatsen på Furutorpsgatan.", 56.0390, 12.7050, "På kvällen"),
    Tip("Trasig gatlampa vid Söderpunkten.", 56.0335, 12.6985, "På kvällen"),
]
CENTRUM_TIPS = [Tip("Mörkt i gränden vid Stortorget.", 56.0480, 12.6950, "På natten")]


@dataclass
class Answer:
    lat: float
    lon: float
    words: str
    safe: str = "2"  # the scale's button
    fix: str = "Bättre belysning"
    photo: str | None = None  # the file_id of the photo sent with it


SODER_ANSWERS = [
    Answer(56.0372, 12.7010, "Mer ljus vid Hantverkaregatan.", photo="hantverkaregatan"),
    Answer(56.0350, 12.7030, "Fler vuxna ute på kvällen, tack.", "1", "Fler vuxna ute"),
    Answer(56.0381, 12.6962, "", "2", "Fler vuxna ute"),
    Answer(56.0340, 12.7080, "Det känns bra vid Söderpunkten.", "4"),
]
CENTRUM_ANSWERS = [Answer(56.0490, 12.6960, "Fler vakter vid Stortorget.")]


@dataclass
class Town:
    bot: Bot
    eva: Resident  # organizer of Söder
    oskar: Resident  # organizer of Centrum
    photo: bytes  # the photo the resident sent with the first Söder tip


async def tip(resident: Resident, item: Tip, photo: bytes) -> None:
    await resident.click("Tipsa om en otrygg plats")
    await resident.click("En plats som känns otrygg")
    await resident.send(item.text)
    await resident.share_location(item.lat, item.lon)
    await resident.click(item.time_button)
    if item.photo is not None:
        await resident.send_photo(file_id=item.photo, content=photo)
    else:
        await resident.click("Hoppa över")
    await resident.click("Nej, jag vill vara anonym")
    await resident.click("Skicka in")
    assert "tagit emot" in resident.last_text() or "Tack" in resident.last_text(), (
        resident.last_text()
    )


async def answer(resident: Resident, title: str, given: Answer, photo: bytes) -> None:
    await resident.send("/start")
    await resident.click(title)
    await resident.click(given.safe)
    await resident.share_location(given.lat, given.lon)
    await resident.click(given.fix)
    if given.photo is not None:
        await resident.send_photo(file_id=given.photo, content=photo)
    else:
        await resident.click("Hoppa över")
    await resident.send(given.words or "Inget mer.")
    await resident.click("Skicka in")
    assert "Tack" in resident.last_text(), resident.last_text()


async def invitation(owner: Resident, area: str) -> str:
    await owner.send(f"/invite {area}")
    found = re.search(r"https://t\.me/torget_test_bot\?start=(\S+)", owner.last_text())
    assert found is not None, owner.last_text()
    return found.group(1)


async def build_town(bot: Bot) -> Town:
    photo = jpeg()
    user = iter(range(5001, 6000))
    for item in SODER_TIPS + CENTRUM_TIPS:
        resident = bot.resident(next(user))
        await resident.onboard()
        await tip(resident, item, photo)
    for title, answers in (
        ("Kvällen på Söder", SODER_ANSWERS),
        ("Kvällen i Centrum", CENTRUM_ANSWERS),
    ):
        for given in answers:
            resident = bot.resident(next(user))
            await resident.onboard()
            await answer(resident, title, given, photo)
    owner = Resident(bot.app, bot.fake, user_id=ADMIN_ID, first_name="Olga")
    eva = Resident(bot.app, bot.fake, user_id=2002, first_name="Eva")
    await eva.send(f"/start {await invitation(owner, 'Söder')}")
    oskar = Resident(bot.app, bot.fake, user_id=2003, first_name="Oskar")
    await oskar.send(f"/start {await invitation(owner, 'Centrum')}")
    # What the photo fetcher does when a handler wakes it: the photo is in the database.
    assert await bot.fetch_photos() == 2  # the dark passage's and Hantverkaregatan's
    return Town(bot, eva, oskar, photo)


def tile() -> bytes:
    """A map tile for a machine without the internet: light paper with a faint grid, so the
    map shows where it is drawn (OpenStreetMap's tiles are out of reach in tests and CI)."""
    picture = Image.new("RGB", (256, 256), (242, 239, 233))
    for i in range(0, 256, 64):
        for j in range(256):
            picture.putpixel((i, j), (226, 222, 214))
            picture.putpixel((j, i), (226, 222, 214))
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return out.getvalue()


@contextlib.contextmanager
def tile_server() -> Iterator[str]:
    """A tile server on 127.0.0.1: WEB_TILES_URL for the tests ({z}/{x}/{y}.png)."""
    body = tile()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    finally:
        server.shutdown()
        server.server_close()
