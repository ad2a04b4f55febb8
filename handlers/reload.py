"""/reload (admins only): read the surveys folder again; a broken file changes nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from html import escape

from telegram import Update

from core import i18n
from core.campaigns import Campaigns
from core.loader import MAX_FILE_BYTES, SurveyFileError
from core.problems import FileProblem, FileTooLarge, megabytes
from handlers.common import Visitor, send
from handlers.context import Ctx
from handlers.guard import admin_only
from handlers.render import Renderer
from handlers.reply import Reply

log = logging.getLogger(__name__)


@admin_only
async def reload(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """Read the surveys folder again; a broken file changes nothing (/reload)."""
    services = context.services
    if services.load_campaigns is None:
        return
    async with services.reloading:
        await _reload(context, who.chat_id, render, services.load_campaigns)


async def _reload(
    context: Ctx, chat_id: int, render: Renderer, load: Callable[[], Campaigns]
) -> None:
    services = context.services
    _ = render._
    old = services.campaigns
    try:
        # Reading and checking the files takes a while: residents are answered meanwhile.
        fresh = await asyncio.to_thread(load)
    except SurveyFileError as exc:
        problems = "\n".join(_problem(render, problem) for problem in exc.problems)
        if len(problems) > 3000:
            problems = problems[:3000] + "\n…"
        text = _(
            "⚠️ The surveys folder has problems, so nothing was changed: the campaigns run "
            "as before. The same list as python bot.py validate:"
        )
        return await send(context, chat_id, [Reply(f"{text}\n<pre>{escape(problems)}</pre>")])
    fresh.apply(await services.store.schedules())
    services.campaigns = fresh
    before = {survey.id for survey in old.all()}
    after = {survey.id for survey in fresh.all()}
    changed = sorted(
        survey_id
        for survey_id in before & after
        if old.from_file(survey_id) != fresh.from_file(survey_id)
    )
    lines = [render.counts.reloaded(len(after))]
    for label, ids in (
        (_("New"), sorted(after - before)),
        (_("Changed"), changed),
        (_("Removed"), sorted(before - after)),
    ):
        if ids:
            lines.append(f"{label}: " + ", ".join(f"<code>{escape(i)}</code>" for i in ids))
    log.info("surveys reloaded: %d campaign(s)", len(after))
    await send(context, chat_id, [Reply("\n".join(lines))])


def _problem(render: Renderer, problem: FileProblem) -> str:
    """A problem as validate prints it; a file too large to read, in the admin's language."""
    if not isinstance(problem, FileTooLarge):
        return str(problem)
    return render._(
        "{file}: the file is {size} MB, but a file in the surveys folder may be at most "
        "{limit} MB. Even a survey of 100 questions, the most allowed, is only about 60 KB: "
        "check that this is the right file."
    ).format(
        file=problem.path,
        size=i18n.number(megabytes(problem.size), render.lang),
        limit=i18n.number(megabytes(MAX_FILE_BYTES), render.lang),
    )
