"""`/contribution/<id>`: one idea, tip or walk finding for the follow-up meeting: what it is,
its status (changed as on the map), and its triage: who is responsible, how urgent, by when,
and Purple Flag's themes (`/contribution/<id>/triage`, saved with store.set_triage).

As on the map, an area's organizer reaches only the area's (another's is a 404), every POST
carries the XSRF token, and each decision is audited.
"""

from __future__ import annotations

import logging
from datetime import date
from enum import StrEnum
from typing import TypeVar

from core.contributions import STATUS_REASON_LIMIT, HideReason
from core.loop import Priority, Responsible, Theme, Triage
from core.mapview import PointKind, contribution_point
from web import words
from web.base import organizer_only
from web.map import DecisionBase

log = logging.getLogger("torget.web")

E = TypeVar("E", bound=StrEnum)


class ContributionPage(DecisionBase):
    @organizer_only
    async def get(self, contribution_id: str) -> None:
        """The contribution, its status choices and its triage form."""
        item = await self.theirs(int(contribution_id))
        point = contribution_point(item) if item is not None else None
        if item is None:
            self.set_status(404)
            self.render("error.html", status=404)
            return
        _ = self.gettext
        titles = self.titles()
        row = None
        if point is not None:
            points = [point]
            row = self.describe(
                point, titles, await self.walk_titles(points), await self.safer(points)
            )
        self.render(
            "contribution.html",
            item=item,
            row=row,
            kind_label=words.kind(_, PointKind(item.kind.value)),
            status_label=words.status(_, item.status),
            date=words.a_date(item.created_at.date(), self.lang),
            reasons=[(r.value, words.hide_reason(_, r)) for r in HideReason],
            reason_limit=STATUS_REASON_LIMIT,
            responsibles=[(r.value, words.responsible(_, r)) for r in Responsible],
            priorities=[(p.value, words.priority(_, p)) for p in Priority],
            themes=[(t.value, words.theme(_, t)) for t in Theme],
            action_url=self.url(f"/contribution/{item.id}/status"),
            triage_url=self.url(f"/contribution/{item.id}/triage"),
        )


class TriageHandler(DecisionBase):
    @organizer_only
    async def post(self, contribution_id: str) -> None:
        """Save who is responsible, the priority, the deadline and the themes."""
        item = await self.theirs(int(contribution_id))
        if item is None:
            self.set_status(404)
            self.render("error.html", status=404)
            return
        triage = self.read_triage()
        if triage is None:
            self.set_status(400)
            self.render("refused.html", reason="triage")
            return
        services = self.services
        await services.store.set_triage(None, item.id, triage, services.clock())
        await self.audit(f"{item.kind.value} #{item.id}: triage {describe(triage)}")
        log.info("an idea, tip or finding was triaged in the web view")
        self.redirect(self.back_to(item.id), status=303)

    def read_triage(self) -> Triage | None:
        """The form's triage; None when a value is not one the form offers (a forged or old
        form: nothing is saved rather than half of it)."""
        try:
            themes = {_choice(Theme, value) for value in self.get_body_arguments("themes")}
            when = self.get_body_argument("deadline", "").strip()
            return Triage(
                responsible=_choice(Responsible, self.get_body_argument("responsible", "")),
                priority=_choice(Priority, self.get_body_argument("priority", "")),
                deadline=date.fromisoformat(when) if when else None,
                # In Purple Flag's order, each once, whatever order the browser sent them in.
                themes=tuple(theme for theme in Theme if theme in themes),
            )
        except ValueError:
            return None

    def back_to(self, contribution_id: int) -> str:
        if self.get_body_argument("next", ""):
            return self.back()
        return self.url(f"/contribution/{contribution_id}")


def _choice(kind: type[E], value: str) -> E | None:
    """The member, or None for an empty choice; ValueError for a value the form does not
    offer."""
    value = value.strip()
    if not value:
        return None
    if value not in kind.__members__.values():
        raise ValueError(value)
    return kind(value)


def describe(triage: Triage) -> str:
    """The audit log's words for a triage: values, never free text."""
    return ", ".join(
        (
            triage.responsible.value if triage.responsible else "-",
            triage.priority.value if triage.priority else "-",
            triage.deadline.isoformat() if triage.deadline else "-",
            "+".join(theme.value for theme in triage.themes) or "-",
        )
    )
