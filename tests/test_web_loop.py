"""Closing the loop in the web view, over real HTTP on 127.0.0.1: an organizer gives a tip a
status with its reason, sets who is responsible and by when, filters the map by Purple Flag's
time bands and themes, reads the "me too" counts and before and after per place, and lists
the safety walks with their reports. Another area's organizer reaches none of it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert

from core.contributions import Kind, NewContribution, Status
from core.loop import Priority, Responsible, SaferAnswer, Theme, TimeBand, Triage
from storage.schema import contributions, followups, walks
from tests import test_web
from tests.conftest import Bot
from tests.test_web import (
    Web,
    contribution,
    link_for,
    log_in,
    organizer_of,
    owner_of,
    stored,
    text_of,
    xsrf_of,
)

web = test_web.web  # the fixture: a bot with its web view, Söder's and Maria Torg's campaigns
SODER = (59.31, 18.05)  # inside Söder's box in tests/test_web.py
TORG = (56.05, 12.70)  # inside Maria Torg's


def tip(text: str, where: tuple[float, float] = SODER, **changes: Any) -> NewContribution:
    return replace(contribution(text, *where), **changes)


async def resident(bot: Bot, user_id: int) -> None:
    """Someone who agreed to the bot's terms (a second time changes nothing)."""
    pseudonym = bot.services.pseudonymize(user_id)
    await bot.services.store.consent(800_000 + user_id, pseudonym, user_id, "sv", bot.clock())


async def said_me_too(bot: Bot, contribution_id: int, *user_ids: int) -> None:
    """Residents who added their voice to a tip at their own tip's Send (handlers/metoo.py)."""
    for user_id in user_ids:
        await resident(bot, user_id)
        pseudonym = bot.services.pseudonymize(user_id)
        added = await bot.services.store.add_voice(
            700_000 + user_id, contribution_id, pseudonym, True, bot.clock()
        )
        assert added


async def answered_safer(bot: Bot, contribution_id: int, *given: SaferAnswer) -> None:
    """Answers to "Känns det tryggare nu?" some weeks after a fix (runtime/followups.py)."""
    now = bot.clock()
    for number in range(len(given)):
        await resident(bot, 9000 + number)
    async with bot.services.store.engine.begin() as connection:  # type: ignore[attr-defined]
        for number, answer in enumerate(given):
            await connection.execute(
                insert(followups).values(
                    contribution_id=contribution_id,
                    pseudonym=bot.services.pseudonymize(9000 + number),
                    due_at=now - timedelta(days=1),
                    sent_at=now - timedelta(days=1),
                    answer=answer.value,
                    answered_at=now,
                )
            )


async def walked(bot: Bot, title: str, *findings: tuple[str, float, float]) -> int:
    """A safety walk that ended, with its findings (handlers/walk.py stores them so)."""
    walker = bot.services.pseudonymize(4100)
    await resident(bot, 4100)
    now = bot.clock()
    route = [{"name": "Stortorget", "lat": None, "lon": None, "tag": None}]
    async with bot.services.store.engine.begin() as connection:  # type: ignore[attr-defined]
        walk = await connection.execute(
            insert(walks).values(
                chat_id=-100123,
                title=title,
                route=route,
                started_by=walker,
                lang="sv",
                started_at=now - timedelta(hours=2),
                ended_at=now - timedelta(hours=1),
            )
        )
        (walk_id,) = walk.inserted_primary_key or (0,)
        for text, lat, lon in findings:
            await connection.execute(
                insert(contributions).values(
                    pseudonym=walker,
                    kind="finding",
                    category="lighting",
                    text=text,
                    lat=lat,
                    lon=lon,
                    contactable=True,
                    status=Status.RECEIVED.value,
                    created_at=now - timedelta(hours=1, minutes=30),
                    status_changed_at=now,
                    walk_id=walk_id,
                    stop=0,
                    judgement="unsafe",
                    time_band="20-23",
                )
            )
    return int(walk_id)


async def owners_page(web: Web, browser: object, path: str = "/map") -> str:
    await log_in(browser, await link_for(owner_of(web.bot)))  # type: ignore[arg-type]
    _status, page = await text_of(browser, f"{web.base}{path}")  # type: ignore[arg-type]
    return page


# ---- statuses --------------------------------------------------------------------------
async def test_wont_fix_needs_its_reason_which_the_map_then_shows(web: Web) -> None:
    bot = web.bot
    item = await stored(bot, tip("Mörkt vid Järnvägsgatan", place_name="Järnvägsgatan"))
    await said_me_too(bot, item, 7010)
    async with web.client() as browser:
        page = await owners_page(web, browser)
        assert "🚫 Åtgärdas inte" in page and "Varför det inte åtgärdas" in page
        url, xsrf = f"{web.base}/contribution/{item}/status", xsrf_of(page)
        async with browser.post(url, data={"_xsrf": xsrf, "status": "wont_fix"}) as refused:
            assert refused.status == 400
            assert "Skriv varför" in await refused.text()
        too_long = {"_xsrf": xsrf, "status": "wont_fix", "status_reason": "x" * 501}
        async with browser.post(url, data=too_long) as refused:
            assert refused.status == 400
        unchanged = await bot.services.store.get_contribution(item)
        assert unchanged is not None and unchanged.status is Status.RECEIVED
        why = "Fastighetsägaren  sköter belysningen,\nkommunen får inte"
        given = {"_xsrf": xsrf, "status": "wont_fix", "status_reason": why, "next": "/web/map"}
        async with browser.post(url, data=given, allow_redirects=False) as done:
            assert done.status == 303
        decided = await bot.services.store.get_contribution(item)
        assert decided is not None and decided.status is Status.WONT_FIX
        assert decided.status_reason == "Fastighetsägaren sköter belysningen, kommunen får inte"
        _status, page = await text_of(browser, f"{web.base}/map")
        row = page.split(f'id="tip-{item}"')[1].split("</tr>")[0]
        assert "kommer inte att åtgärdas" in row
        assert "Fastighetsägaren sköter belysningen" in row
    [entry, *_] = await bot.services.store.audit_entries(0, 10)
    assert entry.detail == f"tip #{item}: wont_fix"
    # Someone who said "me too" and asked to hear back is told, with the reason, though the
    # tip's own sender stays anonymous.
    told = [c.text for c in bot.fake.calls if c.method == "sendMessage" and c.chat_id == 7010]
    assert len(told) == 1 and "Fastighetsägaren sköter belysningen" in told[0], told
    assert not [c for c in bot.fake.calls if c.method == "sendMessage" and c.chat_id == 5000]


async def test_a_duplicate_names_an_original_the_organizer_can_see(web: Web) -> None:
    bot = web.bot
    original = await stored(bot, tip("Trasig lampa på Furutorpsplatsen"), 5010)
    again = await stored(bot, tip("Lampan på Furutorpsplatsen är trasig"), 5020)
    elsewhere = await stored(bot, tip("Trasig lampa på Stortorget", TORG), 5030)
    anna = await organizer_of(bot, "Söder", 4242, "Anna")
    async with web.client() as browser:
        await log_in(browser, await link_for(anna))
        _status, page = await text_of(browser, f"{web.base}/map")
        url, xsrf = f"{web.base}/contribution/{again}/status", xsrf_of(page)
        for wrong in ("", "abc", str(again), str(elsewhere), "999999"):
            data = {"_xsrf": xsrf, "status": "duplicate", "duplicate_of": wrong}
            async with browser.post(url, data=data) as refused:
                assert refused.status == 400, wrong
        found = await bot.services.store.get_contribution(again)
        assert found is not None and found.status is Status.RECEIVED
        data = {"_xsrf": xsrf, "status": "duplicate", "duplicate_of": f"#{original}"}
        async with browser.post(url, data=data) as done:
            assert done.status == 200  # back on the map
            page = await done.text()
        assert f"Samma som #{original}" in page
    found = await bot.services.store.get_contribution(again)
    assert found is not None
    assert (found.status, found.duplicate_of) == (Status.DUPLICATE, original)


# ---- triage ----------------------------------------------------------------------------
async def test_triage_is_saved_from_its_form_and_shown_on_the_map(web: Web) -> None:
    bot = web.bot
    item = await stored(bot, tip("Buskar skymmer gångvägen vid Söder"))
    async with web.client() as browser:
        map_page = await owners_page(web, browser)
        assert f"/web/contribution/{item}" in map_page  # the row's "Följ upp"
        status, page = await text_of(browser, f"{web.base}/contribution/{item}")
        assert status == 200
        assert "Buskar skymmer gångvägen vid Söder" in page
        assert 'name="themes"' in page and 'type="date"' in page
        url = f"{web.base}/contribution/{item}/triage"
        chosen = [
            ("_xsrf", xsrf_of(page)),
            ("responsible", "municipality"),
            ("priority", "high"),
            ("deadline", "2027-01-15"),
            ("themes", "place"),
            ("themes", "wellbeing"),
        ]
        async with browser.post(url, data=chosen, allow_redirects=False) as done:
            assert done.status == 303
            assert done.headers["Location"] == f"/web/contribution/{item}"
        saved = await bot.services.store.get_contribution(item)
        assert saved is not None
        assert (saved.responsible, saved.priority, saved.deadline, saved.themes) == (
            Responsible.MUNICIPALITY,
            Priority.HIGH,
            date(2027, 1, 15),
            (Theme.WELLBEING, Theme.PLACE),
        )
        _status, page = await text_of(browser, f"{web.base}/contribution/{item}")
        assert '<option value="municipality" selected>' in page
        assert 'value="2027-01-15"' in page
        assert 'value="wellbeing" checked' in page and 'value="appeal">' in page
        _status, page = await text_of(browser, f"{web.base}/map")
        row = page.split(f'id="tip-{item}"')[1].split("</tr>")[0]
        for shown in ("Kommunen", "Hög prioritet", "Senast 15 jan. 2027", "Trygghet"):
            assert shown in row, shown
        # A value the form never offers (an old or forged form): nothing is saved.
        forged = [("_xsrf", xsrf_of(page)), ("responsible", "mayor"), ("priority", "low")]
        async with browser.post(url, data=forged) as refused:
            assert refused.status == 400
        async with browser.post(url, data=[("_xsrf", xsrf_of(page)), ("deadline", "snart")]) as r:
            assert r.status == 400
    kept = await bot.services.store.get_contribution(item)
    assert kept is not None and kept.priority is Priority.HIGH
    [entry, *_] = await bot.services.store.audit_entries(0, 10)
    assert entry.detail == f"tip #{item}: triage municipality, high, 2027-01-15, wellbeing+place"


async def test_an_area_organizer_cannot_triage_or_decide_another_areas_tip(web: Web) -> None:
    bot = web.bot
    theirs = await stored(bot, tip("Trasig lampa på Stortorget", TORG), 6000)
    anna = await organizer_of(bot, "Söder", 4242, "Anna")
    async with web.client() as browser:
        await log_in(browser, await link_for(anna))
        _status, page = await text_of(browser, f"{web.base}/map")
        xsrf = xsrf_of(page)
        assert (await text_of(browser, f"{web.base}/contribution/{theirs}"))[0] == 404
        async with browser.post(
            f"{web.base}/contribution/{theirs}/triage",
            data={"_xsrf": xsrf, "responsible": "police"},
        ) as refused:
            assert refused.status == 404
        async with browser.post(
            f"{web.base}/contribution/{theirs}/status",
            data={"_xsrf": xsrf, "status": "wont_fix", "status_reason": "Inte vårt"},
        ) as refused:
            assert refused.status == 404
    untouched = await bot.services.store.get_contribution(theirs)
    assert untouched is not None
    assert (untouched.status, untouched.responsible) == (Status.RECEIVED, None)


async def test_a_triage_without_the_pages_xsrf_token_is_refused(web: Web) -> None:
    bot = web.bot
    item = await stored(bot, tip("Mörk gång"))
    async with web.client() as browser:
        await owners_page(web, browser)
        url = f"{web.base}/contribution/{item}/triage"
        async with browser.post(url, data={"responsible": "police"}) as refused:
            assert refused.status == 403
            assert "Inget ändrades" in await refused.text()
        async with browser.post(url, data={"_xsrf": "2|forged|0|0", "priority": "low"}) as bad:
            assert bad.status == 403
    untouched = await bot.services.store.get_contribution(item)
    assert untouched is not None and (untouched.responsible, untouched.priority) == (None, None)


# ---- filters and counts ----------------------------------------------------------------
async def test_the_map_filters_by_time_band_and_theme(web: Web) -> None:
    bot = web.bot
    await stored(bot, tip("Stökigt vid kiosken sent", time_band=TimeBand.NIGHT), 5010)
    evening = await stored(bot, tip("Mörkt på väg hem", time_band=TimeBand.EVENING), 5020)
    await stored(bot, tip("Trasig bänk på dagen"), 5030)
    triage = Triage(themes=(Theme.MOVEMENT,))
    assert await bot.services.store.set_triage(None, evening, triage, bot.clock())
    async with web.client() as browser:
        page = await owners_page(web, browser)
        assert '<option value="23-02">23–02</option>' in page
        assert "Tid på dygnet" in page and "Tema" in page

        async def listed(query: str) -> str:
            status, found = await text_of(browser, f"{web.base}/map?{query}")
            assert status == 200
            # The table under the map, or its "no points" when there is none.
            return found.split('<h2 id="list">')[1]

        night = await listed("band=23-02")
        assert "Stökigt vid kiosken" in night and "Mörkt på väg hem" not in night
        day = await listed("band=day")
        assert "Trasig bänk" in day and "Stökigt" not in day and "Mörkt på väg" not in day
        movement = await listed("theme=movement")
        assert "Mörkt på väg hem" in movement and "Trasig bänk" not in movement
        assert "Inga punkter" in await listed("theme=movement&band=23-02")
        status, page = await text_of(browser, f"{web.base}/map?band=kvart&theme=x")
        assert status == 200 and "kunde inte läsas" in page
        async with browser.get(f"{web.base}/map/points.geojson?band=17-20") as points:
            data = await points.json(content_type=None)
        [feature] = data["features"]
        assert feature["properties"]["text"] == "Mörkt på väg hem"
        assert "17–20" in feature["properties"]["loop"]


async def test_me_too_counts_show_in_the_table_and_the_popup(web: Web) -> None:
    bot = web.bot
    item = await stored(bot, tip("Mörk tunnel under Järnvägsgatan"))
    await said_me_too(bot, item, 7001, 7002, 7003)
    async with web.client() as browser:
        page = await owners_page(web, browser)
        row = page.split(f'id="tip-{item}"')[1].split("</tr>")[0]
        assert "3 till sa ”jag också”" in row
        async with browser.get(f"{web.base}/map/points.geojson") as points:
            [feature] = (await points.json(content_type=None))["features"]
        assert "3 till sa ”jag också”" in feature["properties"]["loop"]


async def test_before_and_after_per_place_counts_fixes_and_safer_answers(web: Web) -> None:
    bot = web.bot
    store = bot.services.store
    station: dict[str, Any] = {"place_name": "Järnvägsgatan", "place_tag": "jarnvagsgatan"}
    lamp = await stored(bot, tip("Trasig lampa vid stationen", **station), 5010)
    bushes = await stored(bot, tip("Buskar vid stationen", **station), 5020)
    await stored(bot, tip("Mörkt vid perrongen", **station), 5030)
    square = await stored(bot, tip("Klotter på Furutorpsplatsen", (59.3101, 18.0501)), 5040)
    await stored(bot, tip("Skräp vid stationen", **station), 5050)
    await stored(bot, contribution("Bänkar vid stationen", *SODER, kind=Kind.IDEA), 5060)
    hidden = await stored(bot, tip("Något personligt", **station), 5070)
    for fixed in (lamp, bushes, square):
        assert await store.set_contribution_status(None, fixed, Status.FIXED, None, bot.clock())
    assert await store.set_contribution_status(None, hidden, Status.HIDDEN, None, bot.clock())
    await answered_safer(bot, lamp, SaferAnswer.YES, SaferAnswer.YES, SaferAnswer.SOMEWHAT)
    await answered_safer(bot, bushes, SaferAnswer.NO)
    await answered_safer(bot, square, SaferAnswer.NOT_FIXED)
    async with web.client() as browser:
        page = await owners_page(web, browser, "/loop")
    assert "Före och efter, per plats" in page
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    cells = [re.findall(r"<t[hd][^>]*>\s*([^<]*)", row) for row in rows]
    station_row, square_row = cells
    # Järnvägsgatan: 4 tips (the hidden one and the idea left out), 2 fixed, then the
    # answers: yes 2, somewhat 1, no 1, not fixed 0.
    assert station_row[:7] == ["Järnvägsgatan", "4", "2", "2", "1", "1", "0"]
    assert "75" in page.split("<tbody>")[1].split("</tr>")[0]  # 3 of 4 feel safer
    assert square_row[0].startswith("Kring 59,31") and "° N" in square_row[0]
    assert square_row[1:7] == ["1", "1", "0", "0", "0", "1"]
    assert page.count('class="safer-yes"') == 1


# ---- walks -----------------------------------------------------------------------------
async def test_walks_are_listed_with_their_findings_on_the_map_and_their_reports(
    web: Web,
) -> None:
    bot = web.bot
    soder = await walked(
        bot, "Söder kväll", ("Släckt lykta i parken", *SODER), ("Mörk trappa", 59.311, 18.051)
    )
    async with web.client() as browser:
        page = await owners_page(web, browser, "/walks")
        row = page.split(f'id="walk-{soder}"')[1].split("</tr>")[0]
        assert "Söder kväll" in row and ">2<" in row.replace("\n", "").replace(" ", "")
        assert f"/web/map?walk={soder}" in row
        _status, page = await text_of(browser, f"{web.base}/map?walk={soder}")
        listed = page.split('<table class="points">')[1]
        assert listed.count("🚶 Fynd från trygghetsvandring") == 2
        assert "Söder kväll" in listed and "Belysning" in listed
        assert "Känns otryggt" in listed and "20–23" in listed
        for fmt, starts in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("gpkg", b"SQLite format 3")):
            async with browser.get(f"{web.base}/walk/{soder}/report?format={fmt}") as got:
                assert got.status == 200, fmt
                assert got.headers["Content-Disposition"].startswith("attachment")
                assert (await got.read()).startswith(starts), fmt
        async with browser.get(f"{web.base}/walk/{soder}/report?format=doc") as wrong:
            assert wrong.status == 404
        async with browser.get(f"{web.base}/walk/{soder + 99}/report") as none:
            assert none.status == 404


async def test_an_area_organizer_sees_only_the_walks_in_their_area(web: Web) -> None:
    bot = web.bot
    soder = await walked(bot, "Söder kväll", ("Släckt lykta", *SODER))
    torg = await walked(bot, "Maria Torg dag", ("Trasigt staket", *TORG))
    anna = await organizer_of(bot, "Söder", 4242, "Anna")
    async with web.client() as browser:
        await log_in(browser, await link_for(anna))
        _status, page = await text_of(browser, f"{web.base}/walks")
        assert "Söder kväll" in page and "Maria Torg dag" not in page
        async with browser.get(f"{web.base}/walk/{torg}/report?format=pdf") as theirs:
            assert theirs.status == 404
        async with browser.get(f"{web.base}/walk/{soder}/report?format=xlsx") as own:
            assert own.status == 200
        _status, page = await text_of(browser, f"{web.base}/map?walk={torg}")
        assert "Trasigt staket" not in page
