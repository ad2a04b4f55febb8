"""The organizers' results: `/campaigns` (the campaigns they may see) and `/campaign/<id>`
(each question's chart and numbers as /stats counts them, the funnel, answers per day, the
free texts searched, the downloads)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import tornado.web
from babel.dates import format_date

from core import i18n
from core.contributions import CATEGORY, Kind
from core.counts import Counts
from core.public import results_url
from core.results import FreeTextSearch, normalise_query
from core.says import N_
from core.stats import count_contributions
from core.survey import CampaignState, SelectOne, Survey
from core.versions import History
from web import words
from web.base import BaseHandler, organizer_only
from web.reads import campaign_results
from web.results_view import results_view

# The page's names of the downloads (web.reads.DOWNLOADS), in the order offered.
DOWNLOAD_LABELS = (
    ("xlsx", N_("Excel (xlsx)")),
    ("csv", N_("CSV, one row per response")),
    ("csv-long", N_("CSV, one row per answer")),
    (
        "csv-ideas",
        N_("CSV of the ideas and tips (all that you may see, not only this campaign's)"),
    ),
    ("json", N_("JSON")),
    ("geojson", N_("GeoJSON (map)")),
    ("gpkg", N_("GeoPackage (QGIS)")),
    ("gpkg-grid", N_("GeoPackage of 250 m squares with 5 answers or more, to publish")),
)
# The states as the campaign cards in Telegram name them (handlers/admin.py).
STATES = {
    CampaignState.OPEN: N_("Open"),
    CampaignState.SCHEDULED: N_("Scheduled"),
    CampaignState.DRAFT: N_("Draft"),
    CampaignState.CLOSED: N_("Closed"),
}


def history_of(handler: BaseHandler, survey: Survey) -> History:
    versions = handler.services.campaigns().versions(survey.id)
    return History(versions) if versions else History.single(survey)


def seen_campaign(handler: BaseHandler, campaign_id: str) -> Survey:
    """The campaign if this organizer may see it; otherwise 404, the same as for a campaign
    that does not exist, so another area's ids cannot be found out by trying."""
    for survey in handler.surveys():
        if survey.id == campaign_id:
            return survey
    raise tornado.web.HTTPError(404)


class CampaignsPage(BaseHandler):
    @organizer_only
    async def get(self) -> None:
        services = self.services
        now = services.clock()
        counts = await self.source().response_counts()
        rows = [
            {
                "id": survey.id,
                "title": survey.title.get(self.lang),
                "state": self.gettext(STATES[survey.state(now)]),
                "started": i18n.number(counts.get(survey.id, (0, 0))[0], self.lang),
                "finished": i18n.number(counts.get(survey.id, (0, 0))[1], self.lang),
                "public": survey.publish_results,
            }
            for survey in self.surveys()
        ]
        self.render("campaigns.html", campaigns=rows, contributions=await self._contributions())

    async def _contributions(self) -> dict[str, Any]:
        """The ideas and tips of the organizer's area (not hidden ones), as /stats counts
        them under a campaign's numbers."""
        lang = self.lang
        counted = count_contributions(await self.source().contribution_counts())
        campaigns = self.services.campaigns()
        translations = self.services.catalogs.get(lang)

        def named(kind: Kind) -> list[tuple[str, str]]:
            labels = category_labels(campaigns.form(kind), lang)
            return [
                (labels.get(category, category), i18n.number(count, lang))
                for category, count in counted.categories[kind]
            ]

        return {
            "total": Counts(translations, lang).contributions(
                counted.kinds.get(Kind.IDEA, 0), counted.kinds.get(Kind.TIP, 0)
            ),
            "ideas": named(Kind.IDEA),
            "tips": named(Kind.TIP),
            "times": [
                (words.time_of_day(self.gettext, time), i18n.number(count, lang))
                for time, count in counted.times
            ],
        }


def category_labels(form: Survey | None, lang: str) -> dict[str, str]:
    """The categories of the ideas' or tips' form by id, in the language."""
    question = form.questions_by_id.get(CATEGORY) if form is not None else None
    if not isinstance(question, SelectOne):
        return {}
    return {choice.id: choice.label.get(lang) for choice in question.choices}


class CampaignPage(BaseHandler):
    @organizer_only
    async def get(self, campaign_id: str) -> None:
        survey = seen_campaign(self, campaign_id)
        history = history_of(self, survey)
        query = normalise_query(self.get_argument("q", ""))
        texts = {q.id for q in history.questions() if q.type == "text"}
        question = self.get_argument("question", "") or None
        if question not in texts:
            question = None  # all the text questions, for an id this campaign has not
        try:
            page = max(0, int(self.get_argument("page", "0")))
        except ValueError:
            page = 0
        search = FreeTextSearch(history, query, page, question_id=question)
        results = await campaign_results(self.source(), self.services.store, history, search)
        lang = self.lang
        view = results_view(results, history, self.services.catalogs.get(lang), lang)
        web_url = self.services.settings.web_url
        public_url = results_url(web_url, survey.id) if survey.publish_results else None

        def page_url(number: int) -> str:
            wanted = {"q": query, "question": question or "", "page": number}
            shown = {key: value for key, value in wanted.items() if value}
            return self.url(f"/campaign/{survey.id}") + "?" + urlencode(shown) + "#texts"

        def day_label(day: date) -> str:
            return format_date(day, "d MMM yyyy", locale=i18n.locale(lang))

        self.render(
            "campaign.html",
            title=survey.title.get(lang),
            campaign_id=survey.id,
            view=view,
            texts=results.texts,
            texts_total=i18n.number(results.texts.total, lang),
            question_texts={q.id: q.text.get(lang) for q in history.questions()},
            page_url=page_url,
            day_label=day_label,
            public_url=public_url,
            has_places=any(q.type == "location" for q in history.questions()),
            downloads=[(key, self.gettext(label)) for key, label in DOWNLOAD_LABELS],
        )
