"""/export (admins only): the answers, ideas and tips as a file, sent in the chat."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from telegram import Update

from core.export import ANONYMOUS, FORMATS, PSEUDONYMOUS, SUFFIXES
from core.survey import STOCKHOLM
from handlers.admin import named_campaign, source_for, visible
from handlers.common import UPLOAD_LIMIT, Visitor, delivered, send, tell_failed
from handlers.context import Ctx
from handlers.guard import admin_only
from handlers.render import Renderer
from handlers.reply import Reply

log = logging.getLogger(__name__)


# The words that ask for a zip with the photos, in either language.
PHOTOS_WORDS = ("photos", "foton", "bilder")
ANONYMOUS_WORDS = ("anonymous", "anonym")


@admin_only
async def export_file(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """Send an export as a file: /export [xlsx|csv|geojson|gpkg|json] [campaign] [anonymous]
    [photos]; with photos a zip of the file and a photos/ folder."""
    _ = render._
    services = context.services
    words = [word.lower() for word in context.args or []]
    fmt = next((word for word in words if word in FORMATS), "xlsx")
    privacy = ANONYMOUS if any(word in ANONYMOUS_WORDS for word in words) else PSEUDONYMOUS
    photos = any(word in PHOTOS_WORDS for word in words)
    known = (*FORMATS, *ANONYMOUS_WORDS, *PHOTOS_WORDS)
    named = [w for w in words if w not in known]
    surveys = visible(who, services.campaigns.all())
    if named:
        survey = await named_campaign(context, who, render, named[0])
        if survey is None:
            return
        surveys = [survey]
    # The same export asked again, without the photo word: to offer it with or without them.
    command = " ".join(["/export", *([w for w in words if w not in PHOTOS_WORDS] or [fmt])])
    # The writers (XlsxWriter, fudgeo) load on the first export, not at every start.
    from exports.run import Request, export

    stamp = services.clock().astimezone(STOCKHOLM).strftime("%Y-%m-%d")
    name = f"torget-{named[0] if named else 'all'}-{stamp}{SUFFIXES[fmt]}"
    with tempfile.TemporaryDirectory() as folder:
        # Every version, so that each response is read against the one it was answered on.
        versions = {survey.id: services.campaigns.versions(survey.id) for survey in surveys}
        request = Request(
            fmt, surveys, Path(folder) / name, privacy, versions=versions, photos=photos
        )
        await export(source_for(context, who), request)
        path = request.written
        if path.stat().st_size > UPLOAD_LIMIT:
            text = _(
                "The file is larger than Telegram lets a bot send (50 MB). Export it on the "
                "server with python bot.py export, or ask for one campaign at a time."
            )
            if photos:
                text = _(
                    "The zip with the photos is larger than Telegram lets a bot send (50 MB). "
                    "Export it on the server with python bot.py export --photos, or ask "
                    "without photos: {command}"
                ).format(command=command)
            return await send(context, who.chat_id, [Reply(text)])
        caption = _("Pseudonymous export: no names or Telegram ids.")
        if privacy.anonymous:
            caption = _("Anonymous export: no pseudonyms, times rounded to the day.")
        if photos:
            caption += "\n" + _(
                "Unzip it: each row names its photo in the photos folder, and a photo not "
                "downloaded yet says so."
            )
        else:
            caption += "\n" + _("With the photos, as a zip: {command} photos").format(
                command=command
            )
        log.info(
            "an admin exported %s (%s%s)",
            fmt,
            "anonymous" if privacy.anonymous else "pseudonymous",
            ", with photos" if photos else "",
        )
        sending = context.bot.send_document(
            who.chat_id, document=path.read_bytes(), filename=path.name, caption=caption
        )
        if not await delivered(sending, "export file"):
            text = _(
                "⚠️ The export file could not be sent: Telegram did not take it. Try /export "
                "again in a moment. If it keeps failing, export on the server with python "
                "bot.py export."
            )
            await tell_failed(context, who.chat_id, text)
