"""Photos residents send reach the partnership: downloaded from Telegram, stripped of where
and with what they were taken, kept in the database, and deleted with the resident's data."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from PIL import ExifTags, Image

from core.campaigns import Campaigns
from storage.records import PhotoStatus
from storage.retention import purge
from tests.conftest import Bot
from tests.fakebot import Resident, phone_photo

HOME = (56.04412, 12.69733)


async def send_tip_with_photo(resident: Resident, file_id: str, content: bytes | None = None):
    await resident.onboard()
    await resident.click("Tipsa om en otrygg plats")
    await resident.click("En plats som känns otrygg")
    await resident.send("Passagen bakom stationen är mörk efter tio.")
    await resident.share_location(*HOME)
    await resident.click("På natten")
    await resident.send_photo(file_id=file_id, content=content)
    await resident.click("Ja, ni får skriva till mig")
    await resident.click("Skicka in")


def opened(data: bytes | None) -> Image.Image:
    assert data is not None, "the photo is not stored"
    return Image.open(BytesIO(data))


async def test_a_tips_photo_is_kept_as_a_jpeg_without_exif_or_gps(
    bot: Bot, resident: Resident
) -> None:
    await send_tip_with_photo(resident, "dark-passage", phone_photo(640, 480))
    assert "Tack" in resident.last_text()
    # The handler woke the fetcher: the photo need not wait for its next look.
    assert bot.services.photos_wake.is_set()
    assert await bot.fetch_photos() == 1

    [tip] = await bot.services.store.contributions_of(bot.services.pseudonymize(1001))
    assert tip.photo_unique_id == "u-dark-passage"
    picture = opened(await bot.services.store.photo_bytes("u-dark-passage"))
    assert picture.format == "JPEG" and picture.size == (640, 480)
    exif = picture.getexif()
    assert len(exif) == 0 and exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "comment" not in picture.info and "exif" not in picture.info
    # Same picture: the blue corner the phone drew is still top left.
    red, _green, blue = picture.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
    assert blue > 120 and red < 80


async def test_a_photo_taken_sideways_is_kept_upright(bot: Bot, resident: Resident) -> None:
    # A phone held upright writes its pixels sideways and says so in EXIF (orientation 6).
    await send_tip_with_photo(resident, "sideways", phone_photo(640, 480, orientation=6))
    await bot.fetch_photos()
    picture = opened(await bot.services.store.photo_bytes("u-sideways"))
    assert picture.size == (480, 640)
    assert len(picture.getexif()) == 0


async def test_a_survey_answers_photo_is_downloaded_too(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("2")
    await resident.share_location(56.0437, 12.6946)
    await resident.click("Bättre belysning")
    await resident.click("Klar")
    await resident.click("Fortsätt")
    await resident.send("12")
    await resident.send_photo(file_id="survey-passage")
    store = bot.services.store
    # Queued with the answer, before the resident has even finished the survey.
    state = await store.photo_state("u-survey-passage")
    assert state is not None and state.status is PhotoStatus.WAITING
    assert await bot.fetch_photos() == 1
    picture = opened(await store.photo_bytes("u-survey-passage"))
    assert picture.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}


async def test_telegram_failing_twice_delays_that_photo_only(bot: Bot) -> None:
    anna, bo = bot.resident(1001), bot.resident(1002)
    await send_tip_with_photo(anna, "first")
    await send_tip_with_photo(bo, "second")
    store = bot.services.store
    # Telegram is busy for the first photo's two first tries.
    bot.fake.fail_file("first", "Internal Server Error", status=500, times=2)

    assert await bot.fetch_photos() == 1  # the second one went ahead
    assert await store.photo_bytes("u-first") is None
    assert await store.photo_bytes("u-second") is not None

    assert await bot.fetch_photos() == 0  # not due again yet
    bot.clock.advance(minutes=1)
    assert await bot.fetch_photos() == 0  # failed again
    state = await store.photo_state("u-first")
    assert state is not None and (state.status, state.attempts) == (PhotoStatus.WAITING, 2)
    bot.clock.advance(minutes=2)
    assert await bot.fetch_photos() == 1
    assert await store.photo_bytes("u-first") is not None


async def test_a_file_that_is_no_picture_is_given_up_and_others_go_on(bot: Bot) -> None:
    anna, bo = bot.resident(1001), bot.resident(1002)
    await send_tip_with_photo(anna, "broken", content=b"this is no jpeg at all")
    await send_tip_with_photo(bo, "fine")
    assert await bot.fetch_photos() == 1
    state = await bot.services.store.photo_state("u-broken")
    assert state is not None and state.status is PhotoStatus.FAILED
    bot.clock.advance(days=1)
    assert await bot.fetch_photos() == 0  # never tried again
    assert await bot.services.store.photo_bytes("u-fine") is not None


async def test_a_file_telegram_calls_too_big_is_given_up_at_once(bot: Bot) -> None:
    await send_tip_with_photo(bot.resident(), "huge")
    bot.fake.fail_next("getFile", "Bad Request: file is too big")
    assert await bot.fetch_photos() == 0
    state = await bot.services.store.photo_state("u-huge")
    assert state is not None and (state.status, state.attempts) == (PhotoStatus.FAILED, 1)


async def test_a_photo_waiting_at_a_restart_is_downloaded_after_it(bot: Bot) -> None:
    await send_tip_with_photo(bot.resident(), "before-restart")
    await bot.restart()  # died before the fetcher ran
    assert await bot.fetch_photos() == 1
    assert await bot.services.store.photo_bytes("u-before-restart") is not None


async def test_delete_removes_the_residents_photos(bot: Bot, resident: Resident) -> None:
    await send_tip_with_photo(resident, "mine")
    await bot.fetch_photos()
    assert await bot.services.store.photo_bytes("u-mine") is not None
    await resident.send("/delete")
    await resident.click("🗑 Ja, radera allt")
    assert await bot.services.store.photo_bytes("u-mine") is None
    assert await bot.services.store.photo_state("u-mine") is None


async def test_retention_removes_the_photos_of_old_tips(bot: Bot, resident: Resident) -> None:
    await send_tip_with_photo(resident, "old")
    await bot.fetch_photos()
    later = bot.clock.now + timedelta(days=bot.settings.retention_days + 1)
    done = await purge(bot.services.store, Campaigns([]), later, contributions_days=365)
    assert done.contributions == 1
    assert await bot.services.store.photo_bytes("u-old") is None
    assert await bot.services.store.photo_state("u-old") is None


async def test_a_photo_telegram_no_longer_holds_waits_and_others_go_on(bot: Bot) -> None:
    await send_tip_with_photo(bot.resident(1001), "gone")
    await send_tip_with_photo(bot.resident(1002), "here")
    del bot.fake.files["gone"]  # getFile answers without a path to download from
    assert await bot.fetch_photos() == 1
    state = await bot.services.store.photo_state("u-gone")
    assert state is not None and (state.status, state.attempts) == (PhotoStatus.WAITING, 1)
    assert await bot.services.store.photo_bytes("u-here") is not None
