"""The map: ideas, tips and located survey answers of the campaigns the organizer sees,
filtered, clustered in the browser, with a table of the same points below it (for keyboards,
screen readers and browsers without JavaScript); a photo; moderation as /moderate does it.

Area isolation: every point is read through exports.area (an organizer of an area gets only
the area's ideas and tips, and only the area's campaigns' answers); a photo is served only
when one of those points shows it, and an idea or tip is moderated only when it is theirs,
so guessing ids in URLs reaches nothing of another area.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from core import i18n
from core.contributions import (
    CATEGORY,
    FORM_KINDS,
    MODERATION,
    STATUS_REASON_LIMIT,
    Contribution,
    HideReason,
    Status,
    TimeOfDay,
)
from core.loop import SaferAnswer, Theme, TimeBand
from core.mapview import (
    DAY,
    IDEAS_AND_TIPS,
    MapPoint,
    PointKind,
    answer_points,
    contribution_point,
    read_filter,
)
from core.roles import Action, contribution_in_area
from core.survey import SelectOne
from core.walks import WALK_CATEGORY_LABELS, WalkCategory
from storage.roles import AuditEntry
from web import words
from web.base import BaseHandler, organizer_only

log = logging.getLogger("torget.web")

# The table below the map lists at most this many points (the map shows them all).
TABLE_LIMIT = 500
# The GeoJSON is sent in pieces of this many points, the event loop free between them.
PIECE = 500
# A photo is a resident's: the browser may keep it only in its own memory, briefly.
PHOTO_CACHE = "private, max-age=300"


class MapBase(BaseHandler):
    async def points(self) -> list[MapPoint]:
        """Every point the organizer may see, unfiltered: their campaigns' located answers
        (each read against the version it was answered on), then their ideas and tips."""
        campaigns = self.services.campaigns()
        source = self.source()
        found: list[MapPoint] = []
        read = 0
        for survey in self.surveys():
            async for response in source.export_responses(survey.id):
                read += 1
                if read % PIECE == 0:
                    await asyncio.sleep(0)  # the residents' turn, as in the GeoJSON's pieces
                answered = campaigns.get(survey.id, response.survey_version) or survey
                found.extend(
                    answer_points(
                        answered,
                        response.id,
                        response.answers,
                        response.completed_at or response.started_at,
                        self.lang,
                    )
                )
        async for item in source.export_contributions():
            point = contribution_point(item)
            if point is not None:
                found.append(point)
        return found

    async def safer(self, points: list[MapPoint]) -> dict[int, dict[SaferAnswer, int]]:
        """The "feels safer" answers about the points' contributions (the area's only, as
        the points are)."""
        ids = [point.contribution for point in points if point.contribution is not None]
        return await self.services.store.safer_counts(ids)

    async def walk_titles(self, points: list[MapPoint]) -> dict[int, str]:
        """The titles of the walks the points' findings were made on ("Söder kväll")."""
        if not any(point.walk is not None for point in points):
            return {}
        return {walk.id: walk.title for walk in await self.services.store.list_walks()}

    async def theirs(self, contribution_id: int) -> Contribution | None:
        """The idea, tip or finding when this organizer may see it; another area's is as
        unknown as one that does not exist."""
        assert self.organizer is not None
        services = self.services
        item = await services.store.get_contribution(contribution_id)
        area = self.organizer.access.area
        if item is None or (
            area is not None and not contribution_in_area(item, area, services.campaigns().all())
        ):
            return None
        return item

    def categories(self) -> dict[str, str]:
        """The ideas' and tips' categories, by id, labelled in the person's language (read
        once a request: every point's row asks)."""
        cached: dict[str, str] | None = getattr(self, "_categories", None)
        if cached is not None:
            return cached
        campaigns = self.services.campaigns()
        labels: dict[str, str] = {}
        for kind in FORM_KINDS:
            form = campaigns.form(kind)
            question = form.question(CATEGORY) if form is not None else None
            if isinstance(question, SelectOne):
                for choice in question.choices:
                    labels.setdefault(choice.id, choice.label.get(self.lang))
        self._categories = labels
        return labels

    def category_label(self, point: MapPoint) -> str:
        if not point.category:
            return ""
        if point.kind is PointKind.FINDING and point.category in WalkCategory.__members__.values():
            return self.gettext(WALK_CATEGORY_LABELS[WalkCategory(point.category)])
        return self.categories().get(point.category, point.category)

    def describe(
        self,
        point: MapPoint,
        titles: dict[str, str],
        walks: dict[int, str] | None = None,
        safer: dict[int, dict[SaferAnswer, int]] | None = None,
    ) -> dict[str, Any]:
        """A point as its popup and its table row show it, in the person's language."""
        _ = self.gettext
        shown: dict[str, Any] = {
            "key": point.key,
            "kind": point.kind.value,
            "kind_label": words.kind(_, point.kind),
            "text": point.text,
            "date": i18n.when(point.at, self.lang),
            "place": point.place or "",
            "campaign": titles.get(point.campaign or "", ""),
            "category": self.category_label(point),
            "time_of_day": words.time_of_day(_, point.time_of_day) if point.time_of_day else "",
            "status": point.status.value if point.status else "",
            "status_label": words.status(_, point.status) if point.status else "",
            "photo": self.url(f"/photo/{point.photo}.jpg") if point.photo else "",
            "answers": [list(pair) for pair in point.answers],
            "actions": [],
            "action_url": "",
            "triage_url": "",
            "number": point.contribution or "",
            "walk": "",
            "loop": [],
            "status_detail": "",
        }
        if point.contribution is not None and point.status is not None:
            shown["action_url"] = self.url(f"/contribution/{point.contribution}/status")
            shown["triage_url"] = self.url(f"/contribution/{point.contribution}")
            shown["actions"] = [
                {"status": status.value, "label": words.action(_, status)}
                for status in MODERATION[point.status]
            ]
            shown["status_detail"] = self.status_detail(point)
            shown["loop"] = self.loop_facts(point, (safer or {}).get(point.contribution, {}))
        if point.walk is not None:
            shown["walk"] = (walks or {}).get(point.walk, "")
        return shown

    def status_detail(self, point: MapPoint) -> str:
        """What the status says beside its name: why not, the original, to whom."""
        _ = self.gettext
        if point.status is Status.WONT_FIX and point.status_reason:
            return point.status_reason
        if point.status is Status.DUPLICATE and point.duplicate_of is not None:
            return _("The same as #{number}").format(number=point.duplicate_of)
        if point.status is Status.FORWARDED and point.forwarded_to:
            return _("To {recipient}").format(recipient=point.forwarded_to)
        return ""

    def loop_facts(self, point: MapPoint, safer: dict[SaferAnswer, int]) -> list[str]:
        """The follow-up's facts, each a short phrase: time band, themes, who, how urgent,
        by when, "me too", and the answers to "does it feel safer now?"."""
        _ = self.gettext
        facts: list[str] = []
        if point.judgement is not None:
            facts.append(words.judgement(_, point.judgement))
        if point.time_band is not None:  # none recorded: daytime, or sent before bands
            facts.append(words.time_band(_, point.time_band))
        if point.themes:
            facts.append(", ".join(words.theme(_, theme) for theme in point.themes))
        if point.responsible is not None:
            facts.append(words.responsible(_, point.responsible))
        if point.priority is not None:
            facts.append(words.priority(_, point.priority))
        if point.deadline is not None:
            facts.append(_("Deadline {date}").format(date=words.a_date(point.deadline, self.lang)))
        if point.voices:
            facts.append(
                self.ngettext(
                    "%(num)d more said “me too”", "%(num)d more said “me too”", point.voices
                )
                % {"num": point.voices}
            )
        answered = [
            f"{words.safer(_, answer)}: {safer[answer]}"
            for answer in SaferAnswer
            if safer.get(answer)
        ]
        if answered:
            facts.append(_("Feels safer now? {answers}").format(answers=", ".join(answered)))
        return facts

    def titles(self) -> dict[str, str]:
        return {survey.id: survey.title.get(self.lang) for survey in self.surveys()}


class MapHandler(MapBase):
    @organizer_only
    async def get(self) -> None:
        """The filter form, the map, and the table of the same points."""
        _ = self.gettext
        wanted, wrong = read_filter(self._arguments())
        titles = self.titles()
        kept = [point for point in await self.points() if wanted.keeps(point)]
        kept.sort(key=lambda point: point.at, reverse=True)
        listed = kept[:TABLE_LIMIT]
        walks, safer = await self.walk_titles(listed), await self.safer(listed)
        query = urlencode({k: v for k, v in wanted.values().items() if v})
        self.render(
            "map.html",
            filter=wanted.values(),
            wrong=[str(field) for field in wrong],
            campaigns=sorted(titles.items(), key=lambda item: item[1].casefold()),
            ideas_and_tips=IDEAS_AND_TIPS,
            categories=sorted(self.categories().items(), key=lambda item: item[1].casefold()),
            times=[(t.value, words.time_of_day(_, t)) for t in TimeOfDay],
            statuses=[(s.value, words.status(_, s)) for s in Status],
            bands=[(b.value, words.time_band(_, b)) for b in TimeBand]
            + [(DAY, words.time_band(_, DAY))],
            themes=[(t.value, words.theme(_, t)) for t in Theme],
            reasons=[(r.value, words.hide_reason(_, r)) for r in HideReason],
            reason_limit=STATUS_REASON_LIMIT,
            rows=[self.describe(point, titles, walks, safer) for point in listed],
            count=len(kept),
            limit=TABLE_LIMIT,
            points_url=self.url("/map/points.geojson") + (f"?{query}" if query else ""),
            tiles=self.services.settings.web_tiles_url,
            attribution=self.services.settings.web_tiles_attribution,
            popup_words=json.dumps(
                {
                    "hide": _("Hide with the reason"),
                    "reasons": [[r.value, words.hide_reason(_, r)] for r in HideReason],
                    "status": _("Status"),
                    "photo": _("The photo sent with it"),
                    "wont_fix": _("Why it will not be fixed"),
                    "duplicate": _("The number of the original"),
                    "triage": _("Follow up: who, priority, deadline, themes"),
                    "xsrf": self.xsrf_token.decode(),
                    "next": self.request.uri or self.url("/map"),
                },
                ensure_ascii=False,
            ).replace("<", "\\u003c"),  # inside <script>: no "</script>" can end it early
        )

    def _arguments(self) -> dict[str, str]:
        return {name: self.get_query_argument(name, "") for name in self.request.query_arguments}


class PointsHandler(MapBase):
    @organizer_only
    async def get(self) -> None:
        """The filtered points as GeoJSON (RFC 7946: longitude first), for the map's script."""
        wanted, wrong = read_filter(
            {name: self.get_query_argument(name, "") for name in self.request.query_arguments}
        )
        if wrong:
            self.set_status(400)
            self.finish(
                {"error": self.gettext("Some filters could not be read."), "fields": wrong}
            )
            return
        titles = self.titles()
        points = await self.points()
        # The "feels safer" answers and walk titles of the points shown, not of every point.
        kept = [point for point in points if wanted.keeps(point)]
        walks, safer = await self.walk_titles(kept), await self.safer(kept)
        self.set_header("Content-Type", "application/geo+json; charset=utf-8")
        # Written a piece at a time, handing each to the socket: the bot's residents share
        # this event loop, and one json.dumps of 50,000 points held it for five seconds
        # (bench/web.py); now it is free between pieces and memory holds one piece.
        self.write('{"type": "FeatureCollection", "features": [')
        for written, point in enumerate(kept, start=1):
            shown = feature(self, point, titles, walks, safer)
            self.write(("," if written > 1 else "") + json.dumps(shown))
            if written % PIECE == 0:
                await self.flush()
                # A flush the socket took at once does not give the loop a turn: this does.
                await asyncio.sleep(0)
        self.finish("]}")


def feature(
    handler: MapBase,
    point: MapPoint,
    titles: dict[str, str],
    walks: dict[int, str],
    safer: dict[int, dict[SaferAnswer, int]],
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
        "properties": handler.describe(point, titles, walks, safer),
    }


class PhotoHandler(MapBase):
    @organizer_only
    async def get(self, unique_id: str) -> None:
        """A photo, only when an idea, tip or answer the organizer may see names it (the
        area-limited source refuses the others: exports.area.AreaSource.photo_bytes)."""
        data = await self.source().photo_bytes(unique_id)
        if data is None:  # not theirs, not downloaded yet, or it failed: nothing to show
            self.set_status(404)
            self.finish()
            return
        self.set_header("Content-Type", "image/jpeg")
        self.set_header("Cache-Control", PHOTO_CACHE)
        self.finish(data)


class DecisionBase(MapBase):
    async def audit(self, detail: str) -> None:
        """A decision in the log owners read with /audit, as the other decisions are."""
        assert self.organizer is not None
        session = self.organizer.session
        await self.services.store.record(
            AuditEntry(
                self.services.clock(),
                session.name,
                self.organizer.access.role,
                Action.MODERATED,
                None,
                None,
                detail,
            )
        )

    async def tell(self, contribution_id: int) -> None:
        """Tell those who follow it what became of it: the bot sends it, and decides who
        hears (handlers.moderation.tell_resident: storage's hear_back, in their language)."""
        services = self.services
        decided = await services.store.get_contribution(contribution_id)
        if decided is not None and services.tell_resident is not None:
            await services.tell_resident(decided)

    def back(self) -> str:
        """Where the form came from, when that is the map or a contribution's page."""
        wanted = self.get_body_argument("next", "")
        parts = urlsplit(wanted)
        if (
            parts.scheme
            or parts.netloc
            or not (
                wanted.startswith(self.url("/map"))
                or wanted.startswith(self.url("/contribution/"))
            )
        ):
            return self.url("/map")
        return wanted


class ModerateHandler(DecisionBase):
    @organizer_only
    async def post(self, contribution_id: str) -> None:
        """Give an idea, tip or finding a status of core.contributions.MODERATION, as the
        Telegram card does: hide with a reason, won't fix with why, duplicate with the
        original's number."""
        assert self.organizer is not None
        services = self.services
        item = await self.theirs(int(contribution_id))
        if item is None:
            self.set_status(404)
            self.render("error.html", status=404)
            return
        status = _status(self.get_body_argument("status", ""))
        reason = _reason(self.get_body_argument("reason", ""))
        why = " ".join(self.get_body_argument("status_reason", "").split())
        if status is None or (status is Status.HIDDEN and reason is None):
            self.refuse(400, "moderation")
            return
        if status is Status.WONT_FIX and not why:
            self.refuse(400, "wont_fix")
            return
        if len(why) > STATUS_REASON_LIMIT:
            self.refuse(400, "too_long")
            return
        original: Contribution | None = None
        if status is Status.DUPLICATE:
            number = self.get_body_argument("duplicate_of", "").strip().lstrip("#")
            if number.isascii() and number.isdigit() and len(number) <= 12:
                original = await self.theirs(int(number))
            if original is None or original.id == item.id:
                self.refuse(400, "duplicate")
                return
        if status not in MODERATION[item.status]:
            # Decided meanwhile (by someone else, in Telegram or in another tab).
            self.refuse(409, "decided")
            return
        now = services.clock()
        await services.store.set_contribution_status(
            None,
            item.id,
            status,
            reason,
            now,
            status_reason=why if status is Status.WONT_FIX else None,
            duplicate_of=original.id if original is not None else None,
            follow_up_at=now + services.settings.follow_up_after,
        )
        detail = f"{item.kind.value} #{item.id}: {status.value}"
        if status is Status.HIDDEN and reason is not None:
            detail += f" ({reason.value})"
        if original is not None:
            detail += f" (#{original.id})"
        await self.audit(detail)
        log.info("an idea, tip or finding was moderated in the web view")
        await self.tell(item.id)
        self.redirect(self.back(), status=303)

    def refuse(self, status: int, reason: str) -> None:
        self.set_status(status)
        self.render("refused.html", reason=reason, limit=STATUS_REASON_LIMIT)


def _status(value: str) -> Status | None:
    return Status(value) if value in Status.__members__.values() else None


def _reason(value: str) -> HideReason | None:
    return HideReason(value) if value in HideReason.__members__.values() else None


assert PointKind.ANSWER.value == "answer"  # the map's script colours answers by this
