"""The web view's routes and tornado settings: runtime/ adds them to the webhook's server, or
starts a server with only these in polling mode.

Every path is under WEB_URL's path (e.g. /web/map). Pages of other modules (results,
downloads, the public page) add their rules to `routes`, one line each.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import tornado.web

from web import downloads, login, media, public, results, triage, walks
from web import loop as loop_page
from web import map as map_page
from web.base import content_policy, logged_path
from web.services import WebServices
from web.views import Views

STATIC = Path(__file__).resolve().parent / "static"
# The cookie key is the deployment secret's, derived for this use: every replica signs alike.
COOKIE_PURPOSE = "web view cookies"
access_log = logging.getLogger("tornado.access")


def routes(services: WebServices) -> list[tornado.web.URLSpec]:
    """Every page of the web view, under WEB_URL's path."""
    views = Views(services.catalogs)
    shared = {"services": services, "views": views}
    prefix = services.prefix
    token = r"([A-Za-z0-9_-]{1,64})"
    campaign = r"([a-z0-9][a-z0-9-]{0,39})"  # core.survey.SURVEY_ID

    def page(path: str, handler: type[tornado.web.RequestHandler]) -> tornado.web.URLSpec:
        return tornado.web.url(prefix + path, handler, shared)

    return [
        page(r"/?", login.HomeHandler),
        page(rf"/login/{token}", login.LoginHandler),
        page(r"/logout", login.LogoutHandler),
        page(r"/lang/(sv|en)", login.LanguageHandler),
        page(r"/map", map_page.MapHandler),
        page(r"/map/points\.geojson", map_page.PointsHandler),
        page(r"/photo/([A-Za-z0-9_-]{1,128})\.jpg", map_page.PhotoHandler),
        page(r"/contribution/([0-9]{1,12})/status", map_page.ModerateHandler),
        page(r"/campaigns", results.CampaignsPage),
        page(rf"/campaign/{campaign}", results.CampaignPage),
        page(rf"/campaign/{campaign}/download", downloads.DownloadPage),
        page(rf"/results/{campaign}", public.PublicResultsPage),
        page(media.ROUTE, media.MediaHandler),  # a forwarded case's photo, signed
        # Closing the loop (issue 21): a contribution's follow-up, before and after, walks.
        page(r"/contribution/([0-9]{1,12})", triage.ContributionPage),
        page(r"/contribution/([0-9]{1,12})/triage", triage.TriageHandler),
        page(r"/loop", loop_page.LoopPage),
        page(r"/walks", walks.WalksPage),
        page(r"/walk/([0-9]{1,12})/report", walks.WalkReportDownload),
        tornado.web.url(
            prefix + r"/static/(.*)", tornado.web.StaticFileHandler, {"path": str(STATIC)}
        ),
    ]


def settings(services: WebServices) -> dict[str, Any]:
    """The tornado Application's settings for the web view (XSRF, signed cookies, static)."""
    return {
        "cookie_secret": services.pseudonymize.derived(COOKIE_PURPOSE),
        "xsrf_cookies": True,
        "xsrf_cookie_kwargs": {
            "httponly": True,
            "samesite": "Lax",
            "secure": services.secure,
            "path": f"{services.prefix}/",
        },
        "static_path": str(STATIC),
        "static_url_prefix": f"{services.prefix}/static/",
        "web_csp": content_policy(services.settings.web_tiles_url),
        "log_function": log_request,
    }


def log_request(handler: tornado.web.RequestHandler) -> None:
    """tornado's request log line, with a login link's token left out."""
    status = handler.get_status()
    if status < 400:
        level = logging.INFO
    elif status < 500:
        level = logging.WARNING
    else:
        level = logging.ERROR
    request = handler.request
    path = logged_path(request.uri or "")
    access_log.log(
        level,
        "%d %s %s %.2fms",
        status,
        request.method,
        path,
        1000.0 * request.request_time(),
    )


def application(services: WebServices) -> tornado.web.Application:
    """A server with only the web view (polling mode, and tests)."""
    return tornado.web.Application(routes(services), **settings(services))
