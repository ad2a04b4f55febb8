"""What every page of the web view shares: who is logged in, in which language, and how a
page is rendered.

Who: the session cookie (signed, HttpOnly, SameSite=Lax, Secure behind https) names a
session in the store by its token's digest; what that person may see is read on every
request, from ADMIN_IDS and the organizers, so a removed organizer is out at once (as
handlers.common.access does for Telegram). Every POST carries tornado's XSRF token.

SameSite=Lax rather than Strict: Strict would leave the cookie off whenever the organizer
arrives from another site (a link to the map in Telegram or an e-mail), and they would look
logged out; Lax sends it only on top-level GETs from elsewhere, and nothing a GET does
changes anything, so Strict would add no safety.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import tornado.web
from markupsafe import Markup

from core.i18n import DEFAULT_LANG, LANGS, Lang, as_lang
from core.roles import NOBODY, OWNER, Access, Role, token_digest, web_token_ok
from core.survey import Survey
from exports.area import source_for
from storage.export_reads import ExportSource
from storage.web import WebSession
from web.services import WebServices
from web.views import Views

log = logging.getLogger("torget.web")

SESSION_COOKIE = "torget_session"
# A login link's token in a logged path: never written to a log, also when the link failed.
_LOGIN_TOKEN = re.compile(r"(/login/)[^/?#]+")
LANG_COOKIE = "lang"


@dataclass(frozen=True)
class Organizer:
    """The owner or organizer a request comes from: their session and what they may see."""

    session: WebSession
    access: Access


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, services: WebServices, views: Views) -> None:
        self.services = services
        self.views = views
        self.lang: Lang = DEFAULT_LANG
        self.organizer: Organizer | None = None

    async def prepare(self) -> None:
        self.lang = self._language()
        self.organizer = await self._organizer()

    def set_default_headers(self) -> None:
        # Pages and their data are one person's: never cached, framed or sent on as a Referer
        # (a login link's token must not leave in one).
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("X-Frame-Options", "DENY")
        # Made once in web.app.settings (set_default_headers runs before initialize).
        self.set_header(
            "Content-Security-Policy", self.settings.get("web_csp", "default-src 'self'")
        )

    # ---- language ----------------------------------------------------------------------
    def _language(self) -> Lang:
        """The lang cookie (the switch), else the browser's first of Swedish and English."""
        chosen = as_lang(self.get_cookie(LANG_COOKIE))
        if chosen is not None:
            return chosen
        return accepted_language(self.request.headers.get("Accept-Language", ""))

    def gettext(self, message: str) -> str:
        return self.services.catalogs.get(self.lang).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.services.catalogs.get(self.lang).ngettext(singular, plural, count)

    # ---- who ---------------------------------------------------------------------------
    async def _organizer(self) -> Organizer | None:
        token = self.get_signed_cookie(SESSION_COOKIE, max_age_days=1)
        if token is None or not web_token_ok(token.decode("ascii", "replace")):
            return None
        services = self.services
        session = await services.store.web_session(token_digest(token.decode()), services.clock())
        if session is None:
            return None
        access = await self.access_of(session.pseudonym)
        return Organizer(session, access) if access.staff else None

    async def access_of(self, pseudonym: str) -> Access:
        """What the person may see now: an owner (ADMIN_IDS), an organizer, or nothing."""
        services = self.services
        if any(pseudonym == services.pseudonymize(admin) for admin in services.settings.admin_ids):
            return OWNER
        found = await services.store.organizer(pseudonym)
        return NOBODY if found is None else Access(Role.ORGANIZER, found.area)

    def surveys(self) -> list[Survey]:
        """The campaigns the organizer sees (not the ideas' and tips' forms)."""
        assert self.organizer is not None
        campaigns = self.services.campaigns()
        access = self.organizer.access
        return [
            survey
            for survey in campaigns.all()
            if not campaigns.is_form(survey.id) and access.sees_survey(survey)
        ]

    def source(self) -> ExportSource:
        """The store as this organizer may read it (exports.area: their area's only)."""
        assert self.organizer is not None
        return source_for(
            self.services.store, self.organizer.access, self.services.campaigns().all()
        )

    # ---- pages -------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """A path of the web view as the browser reaches it (under WEB_URL's path)."""
        return f"{self.services.prefix}{path}"

    def render(self, template_name: str, **values: Any) -> Any:
        """Render a Jinja2 template in the person's language, with what every page shows."""
        here = self.request.uri or self.url("/")
        shared = {
            "lang": self.lang,
            "other_lang": "en" if self.lang == "sv" else "sv",
            "url": self.url,
            "static": self.static_url,
            "here": here,
            "organizer": self.organizer,
            "xsrf": Markup(self.xsrf_form_html()),
            "xsrf_token": self.xsrf_token.decode(),
        }
        return self.finish(self.views.render(self.lang, template_name, {**shared, **values}))

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """tornado's log of a failed request, with a login link's token left out."""
        path = logged_path(self.request.uri or "")
        if isinstance(value, tornado.web.HTTPError):
            if value.log_message:
                message = value.log_message % value.args if value.args else value.log_message
                log.warning("%d %s %s: %s", value.status_code, self.request.method, path, message)
            return
        log.error("failed: %s %s", self.request.method, path, exc_info=(typ, value, tb))  # type: ignore[arg-type]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A failed request's page in the person's language, without a trace of the code."""
        # The XSRF check runs before prepare(): the language is not known yet.
        self.lang = self._language()
        if status_code == 403 and "xsrf" in str(kwargs.get("exc_info", ("", ""))[1]).lower():
            self.render("refused.html", reason="xsrf")
            return
        self.render("error.html", status=status_code)


Method = TypeVar("Method", bound=Callable[..., Awaitable[None]])


def organizer_only(method: Method) -> Method:
    """A page for owners and organizers: anyone else gets the page that says how to log in
    (401), or for data, an empty 401."""

    @functools.wraps(method)
    async def run(self: BaseHandler, *args: Any, **kwargs: Any) -> None:
        if self.organizer is None:
            self.set_status(401)
            if self.request.path.endswith((".geojson", ".jpg")):
                self.finish()
                return
            self.render("login_needed.html")
            return
        await method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


def accepted_language(header: str) -> Lang:
    """The first of Swedish and English an Accept-Language header asks for, by its q."""
    ranked: list[tuple[float, int, Lang]] = []
    for position, part in enumerate(header.split(",")):
        code, _, params = part.strip().partition(";")
        lang = as_lang(code.strip())
        if lang is None:
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, lang))
    return min(ranked)[2] if ranked else DEFAULT_LANG


def logged_path(uri: str) -> str:
    """A request's path as the logs may show it: a login link's token left out."""
    return _LOGIN_TOKEN.sub(r"\1…", uri)


def content_policy(tiles_url: str) -> str:
    """Scripts, styles and images from the web view itself; images also from the tiles."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: {_origin(tiles_url)}; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    )


def _origin(url: str) -> str:
    """The scheme and host of a tile URL, for the Content-Security-Policy (subdomains {s}
    become a wildcard)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f"{scheme}://{host}" if host else ""


assert set(LANGS) == {"sv", "en"}  # the language switch offers the other one
