"""/reload (admins only): import the surveys folder again; a broken file changes nothing.

A changed file becomes its campaign's next version, in the store, so every replica serves it.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import Update

from core import i18n
from core.loader import MAX_FILE_BYTES
from core.problems import FileProblem, FileTooLarge, megabytes
from core.says import Words
from handlers.common import Visitor, send
from handlers.context import Ctx
from handlers.guard import admin_only
from handlers.render import Renderer
from handlers.reply import Reply
from storage.library import Library

log = logging.getLogger(__name__)


@admin_only
async def reload(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """Import the surveys folder again; every replica serves what changed (/reload)."""
    services = context.services
    if services.library is None:
        return
    async with services.reloading:
        await _reload(context, who.chat_id, render, services.library)


async def _reload(context: Ctx, chat_id: int, render: Renderer, library: Library) -> None:
    services = context.services
    _ = render._
    # Reading and checking the files happens in a thread: residents are answered meanwhile.
    imported = await library.import_folder(services.clock(), strict=True)
    if imported.problems:
        problems = "\n".join(_problem(render, problem) for problem in imported.problems)
        if len(problems) > 3000:
            problems = problems[:3000] + "\n…"
        text = _(
            "⚠️ The surveys folder has problems, so nothing was changed: the campaigns run "
            "as before. The same list as python bot.py validate:"
        )
        return await send(context, chat_id, [Reply(f"{text}\n<pre>{escape(problems)}</pre>")])
    # This replica at once; the others within seconds, through their own refresh.
    if services.refresh_campaigns is not None:
        await services.refresh_campaigns()
    count = len(services.campaigns.all())
    lines = [render.counts.reloaded(count)]
    for label, ids in (
        (_("New"), imported.new),
        (_("Changed"), imported.changed),
        # A campaign stays when its file goes: it may have answers, and may be edited in
        # Telegram now. Closing it is the organizer's choice, in /campaigns.
        (_("No longer in the folder, still served (close them in /campaigns)"), imported.absent),
    ):
        if ids:
            lines.append(f"{label}: " + ", ".join(f"<code>{escape(i)}</code>" for i in ids))
    log.info("surveys folder imported: %d campaign(s)", count)
    await send(context, chat_id, [Reply("\n".join(lines))])


def _problem(render: Renderer, problem: FileProblem) -> str:
    """A problem as `validate --lang` prints it in the admin's language; a file too large to
    read with the sizes written as the language writes numbers."""
    if not isinstance(problem, FileTooLarge):
        return problem.render(Words(render._, render.ngettext))
    return render._(
        "{file}: the file is {size} MB, but a file in the surveys folder may be at most "
        "{limit} MB. Even a survey of 100 questions, the most allowed, is only about 60 KB: "
        "check that this is the right file."
    ).format(
        file=problem.path,
        size=i18n.number(megabytes(problem.size), render.lang),
        limit=i18n.number(megabytes(MAX_FILE_BYTES), render.lang),
    )
