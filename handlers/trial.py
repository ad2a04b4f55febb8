"""🧪 Try it (admins only): answer a campaign from its card as a resident would, as a trial.

Any state can be tried, a draft or a closed campaign too. The trial is a response of its own
(`responses.trial`): the same engine, questions, buttons and places, paused and resumed as
any response, but never counted or exported (storage leaves trials out of every count, export,
reminder and the once-per-resident rule), deleted a day after its last answer by
housekeeping, and by /cancel or /delete. Pressing Try it again replaces the admin's earlier
trial of the campaign with a fresh one. A real response the admin has in progress stays as it
was; a resident's button of another campaign pressed mid-trial starts that one as usual,
and the trial waits, unfinished, for Continue (or Try it) until housekeeping takes it.
"""

from __future__ import annotations

from telegram import Update

from core import engine
from handlers.admin import pressed_campaign
from handlers.common import answer_callback, send
from handlers.context import Ctx
from handlers.home import privacy_notice, show, trial_intro
from handlers.reply import Reply


async def try_campaign(update: Update, context: Ctx) -> None:
    """Start a fresh trial of the campaign on its current version, in the admin's chat."""
    pressed = await pressed_campaign(update, context)
    if pressed is None:
        return
    _what, survey, who, render = pressed
    services = context.services
    store = services.store
    if who.resident is None:
        # A trial is stored like a resident's answers (for a day), and nothing is stored
        # about anyone who has not agreed to the privacy notice.
        await answer_callback(update)
        if await store.claim_update(update.update_id):
            text = render._(
                "A trial stores your answers for a day, as a resident's are stored: first "
                "agree to the notice below, then press 🧪 Try it again."
            )
            await send(
                context, who.chat_id, [Reply(text), privacy_notice(context, who.lang or "sv")]
            )
        return
    now = services.clock()
    version = services.campaigns.version_of(survey.id) or 1
    step = engine.start(survey, now, version=version)
    response_id = await store.start_trial(update.update_id, who.pseudonym, step.session)
    await answer_callback(update)
    if response_id is None:
        return
    await show(
        context,
        who.chat_id,
        [
            trial_intro(render, survey, now),
            render.intro(survey),
            *render.step(survey, step, response_id),
        ],
        response_id,
        step.session.version,
    )
