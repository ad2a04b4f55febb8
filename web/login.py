"""Logging in and out: the one-time link from /web opens a session, /logout closes it.

GET /login/<token> only shows a page with a Log in button: link previews in chats, and
scanners that open links, would otherwise use up the one use. The button's POST takes the
link (once, on every replica) and opens a session whose token is only in the cookie.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from core.roles import (
    WEB_SESSION_LIFETIME,
    Action,
    Refusal,
    new_token,
    token_digest,
    web_token_ok,
)
from storage.roles import AuditEntry
from storage.web import WebSession
from web.base import LANG_COOKIE, SESSION_COOKIE, BaseHandler, organizer_only

log = logging.getLogger("torget.web")


class HomeHandler(BaseHandler):
    async def get(self) -> None:
        """The map for an organizer; how to log in for anyone else."""
        if self.organizer is None:
            self.set_status(401)
            self.render("login_needed.html")
            return
        self.redirect(self.url("/map"))


class LoginHandler(BaseHandler):
    async def get(self, token: str) -> None:
        """The Log in button (nothing is used up by opening the link), or at once why the
        link will not work."""
        services = self.services
        found = (
            await services.store.web_link_refusal(token_digest(token), services.clock())
            if web_token_ok(token)
            else Refusal.UNKNOWN
        )
        if found is not None:
            self.set_status(403)
            self.render("login_failed.html", refusal=found.value)
            return
        self.render("login.html", token=token)

    async def post(self, token: str) -> None:
        """Take the link and open a session; a used, expired or unknown one gets a page
        that says to send /web again."""
        services = self.services
        now = services.clock()
        taken = (
            await services.store.take_web_link(token_digest(token), now)
            if web_token_ok(token)
            else Refusal.UNKNOWN
        )
        if isinstance(taken, Refusal):
            self.set_status(403)
            self.render("login_failed.html", refusal=taken.value)
            return
        access = await self.access_of(taken.pseudonym)
        if not access.staff:  # removed between /web and opening the link
            self.set_status(403)
            self.render("login_failed.html", refusal=Refusal.UNKNOWN.value)
            return
        await self._close_old_session()
        session_token = new_token()
        expires = now + WEB_SESSION_LIFETIME
        await services.store.open_web_session(
            WebSession(token_digest(session_token), taken.pseudonym, taken.name, now, expires, now)
        )
        self.set_signed_cookie(
            SESSION_COOKIE,
            session_token,
            # The browser's copy ends with the session (the store decides, on its clock).
            expires_days=WEB_SESSION_LIFETIME / timedelta(days=1),
            path=self.url("/"),
            httponly=True,
            secure=services.secure,
            samesite="Lax",
        )
        await services.store.record(AuditEntry(now, taken.name, access.role, Action.WEB_LOGIN))
        log.info("an organizer logged in to the web view")
        self.redirect(self.url("/map"), status=303)

    async def _close_old_session(self) -> None:
        """A new login replaces the browser's session (never two for one browser)."""
        old = self.get_signed_cookie(SESSION_COOKIE, max_age_days=1)
        if old is not None and web_token_ok(old.decode("ascii", "replace")):
            await self.services.store.close_web_session(token_digest(old.decode()))


class LogoutHandler(BaseHandler):
    @organizer_only
    async def post(self) -> None:
        """Close the session here and in the store: the cookie is of no use after."""
        assert self.organizer is not None
        await self.services.store.close_web_session(self.organizer.session.digest)
        self.clear_cookie(SESSION_COOKIE, path=self.url("/"))
        self.organizer = None
        self.render("logged_out.html")


class LanguageHandler(BaseHandler):
    async def get(self, lang: str) -> None:
        """Switch the language (a cookie for a year) and go back to the page."""
        self.set_cookie(
            LANG_COOKIE,
            lang,
            expires_days=365,
            path=self.url("/"),
            secure=self.services.secure,
            samesite="Lax",
        )
        self.redirect(self._back())

    def _back(self) -> str:
        """The page the switch was pressed on: a path of the web view, never elsewhere."""
        wanted = self.get_query_argument("next", "")
        parts = urlsplit(wanted)
        prefix = self.url("/")
        if parts.scheme or parts.netloc or not wanted.startswith(prefix) or "\\" in wanted:
            return prefix
        return wanted
