"""The web view on two replicas behind one address: a link /web made on one opens a session
on the other, is used up for both, and the session works on either (the links and sessions
are in the database, the cookie key is the deployment's). On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ADMIN_ID, FakeClock, settings_for, start_bot
from tests.fakebot import FakeTelegram, Resident
from tests.test_web import Web, free_port, link_for, log_in, serve_on, survey, text_of

pytestmark = pytest.mark.slow


async def test_a_link_from_one_replica_logs_in_on_the_other_once(
    tmp_path: Path, clock: FakeClock, database: str
) -> None:
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "soder.yaml").write_text(
        survey("soder-kvall", "Kvällen på Söder", None), encoding="utf-8"
    )
    ports = free_port(), free_port()
    # One public address for both (the balancer's); each replica listens on its own port.
    settings = settings_for(
        tmp_path, folder, database_url=database, web_url=f"http://127.0.0.1:{ports[0]}/web"
    )
    telegram = FakeTelegram()  # one Telegram, two bots behind it
    a = await start_bot(settings, clock, telegram)
    b = await start_bot(settings, clock, telegram)
    servers = serve_on(a, ports[0]), serve_on(b, ports[1])
    on_a, on_b = (f"http://127.0.0.1:{port}/web" for port in ports)
    try:
        owner = Resident(a.app, a.fake, user_id=ADMIN_ID, first_name="Olga")
        link = await link_for(owner)  # made on replica A
        assert link.startswith(on_a)
        on_b_link = link.replace(on_a, on_b)
        web = Web(a, on_a, servers[0])
        async with web.client() as browser:
            opened = await log_in(browser, on_b_link)  # taken on replica B
            assert opened.status == 303
            # The session (the cookie: the host's, whatever the port) works on both.
            for base in (on_a, on_b):
                status, page = await text_of(browser, f"{base}/campaigns")
                assert status == 200 and "Kvällen på Söder" in page
        async with web.client() as forwarded:  # someone else with the same link, on A
            again = await log_in(forwarded, link)
            assert again.status == 403
            status, _page = await text_of(forwarded, f"{on_a}/campaigns")
            assert status == 401
    finally:
        for server in servers:
            server.stop()
        await a.stop()
        await b.stop()
