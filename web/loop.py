"""`/loop`: before and after, per place. For each place with tips or walk findings: how many
were reported there, how many are fixed, and what residents and walkers answered some weeks
after the fix to "Does it feel safer now?", as a table and a bar per place (web/charts.py).

Read through the organizer's area-limited source, as the map is; the page is for organizers
only, so it shows every count (a public page would show only counts of 5 or more).
"""

from __future__ import annotations

from typing import Any

from core import i18n
from core.beforeafter import SAFETY_KINDS, PlaceLoop, before_after
from core.contributions import Contribution
from core.loop import SaferAnswer
from core.places import coordinates
from web import words
from web.base import BaseHandler, organizer_only
from web.charts import stacked_bar


class LoopPage(BaseHandler):
    @organizer_only
    async def get(self) -> None:
        """The table of places and their bars, the most fixed first."""
        items: list[Contribution] = [
            item
            async for item in self.source().export_contributions()
            if item.kind in SAFETY_KINDS
        ]
        ids = [item.id for item in items]
        answers = await self.services.store.safer_counts(ids)
        known = self.services.campaigns().places()
        places = before_after(items, answers, known=known, lang=self.lang)
        _ = self.gettext
        self.render(
            "loop.html",
            answer_names=[(answer.value, words.safer(_, answer)) for answer in SaferAnswer],
            places=[self.row(place) for place in places],
        )

    def row(self, place: PlaceLoop) -> dict[str, Any]:
        _ = self.gettext
        if place.name is not None:
            name = place.name
        elif place.lat is not None and place.lon is not None:
            # "56,0333° N, 12,6982° Ö", as everywhere: two bare numbers with decimal commas
            # and a comma between cannot be read.
            where = coordinates(
                place.lat, place.lon, self.lang, self.services.catalogs.get(self.lang)
            )
            name = _("Around {place}").format(place=where)
        else:
            name = ""
        return {
            "name": name,
            "reported": place.reported,
            "fixed": place.fixed,
            "answered": place.answered,
            "answers": [place.answers.get(answer, 0) for answer in SaferAnswer],
            "bar": stacked_bar([(a.value, place.answers.get(a, 0)) for a in SaferAnswer]),
            "safer": i18n.percent(
                place.share(SaferAnswer.YES) + place.share(SaferAnswer.SOMEWHAT), self.lang
            )
            if place.answered
            else "",
        }
