"""`/results/<campaign>`: the public results of a campaign whose file says
`publish_results: true` (404 for any other, and for the ideas' and tips' forms). No login:
only what core.public lets out (counts of 5 or more, grid squares of 5 or more), counted at
most once a minute (web.services.PublicCache)."""

from __future__ import annotations

import tornado.web

from core import i18n
from core.public import PUBLIC_GRID_METRES
from core.survey import Location
from web.base import BaseHandler
from web.reads import public_results
from web.results import history_of
from web.results_view import public_view


class PublicResultsPage(BaseHandler):
    async def get(self, campaign_id: str) -> None:
        campaigns = self.services.campaigns()
        survey = campaigns.get(campaign_id)
        if survey is None or campaigns.is_form(campaign_id) or not survey.publish_results:
            raise tornado.web.HTTPError(404)
        history = history_of(self, survey)
        # The store itself: a public page has no area, and reads only this campaign's
        # answers (never an idea or tip).
        store = self.services.store
        results = await self.services.public.get(
            survey.id,
            history.current_version,
            self.services.clock(),
            lambda: public_results(store, store, history),
        )
        lang = self.lang
        view = public_view(results, history, self.services.catalogs.get(lang), lang)
        texts = {q.id: q.text.get(lang) for q in history.questions()}
        cells = []
        for cell in view.cells:
            south, west, north, east = cell.bounds()
            label = self.ngettext("{count} answer", "{count} answers", cell.count)
            cells.append(
                {
                    "south": south,
                    "west": west,
                    "north": north,
                    "east": east,
                    "count": cell.count,
                    "label": label.format(count=i18n.number(cell.count, lang)),
                    "question": texts.get(cell.question_id, cell.question_id),
                    "centre": f"{i18n.degrees(cell.lat, lang)}, {i18n.degrees(cell.lon, lang)}",
                }
            )
        # For the map's script: the template writes it with Jinja2's tojson, which keeps
        # "</script>" in a label from closing the element.
        shapes = ("south", "west", "north", "east", "count", "label")
        cells_json = [{key: cell[key] for key in shapes} for cell in cells]
        settings = self.services.settings
        self.render(
            "public_results.html",
            title=survey.title.get(lang),
            view=view,
            cells=cells,
            cells_json=cells_json,
            has_places=any(isinstance(q, Location) for q in history.questions()),
            metres=i18n.number(PUBLIC_GRID_METRES, lang),
            tiles_url=settings.web_tiles_url,
            tiles_attribution=settings.web_tiles_attribution,
        )
