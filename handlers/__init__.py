"""The Telegram adapter: every handler of the bot, registered in one ordered place."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from core.contributions import Kind
from handlers import (
    audit,
    campaigns,
    download,
    errors,
    export,
    followup,
    forward,
    guard,
    ideas,
    metoo,
    moderation,
    news,
    privacy,
    reload,
    roles,
    schedule,
    start,
    stats,
    survey,
    trial,
    upload,
    walk,
    web,
)
from handlers.buttons import (
    ANNOUNCE,
    ANSWER,
    APPROVE,
    AUDIT,
    AUDIT_SCORE,
    AUDIT_STOP,
    BACK,
    BEGIN,
    CAMPAIGN,
    CLEAR,
    CLOSE,
    CONFIRM_DELETE,
    CONFIRMED,
    CONSENT,
    CONTRIBUTE,
    DELETE,
    DISCARD_FINDING,
    DROP,
    DUPLICATE,
    FINDING_CATEGORY,
    FINDING_JUDGEMENT,
    FIX,
    FOLLOWUP,
    FORWARD_CANCEL,
    FORWARD_EMAIL,
    FORWARD_OFFER,
    FORWARD_SEND,
    FORWARD_SERVICE,
    HANDLED,
    HIDDEN,
    HIDE,
    JOIN_WALK,
    KEEP_CAMPAIGN,
    LANGUAGE,
    MENU,
    METOO,
    MINE,
    MODERATE,
    NEWS,
    NEXT,
    OPEN,
    ORGANIZER,
    PLAN,
    PROMPT,
    REMINDERS,
    RESTART,
    RESUME,
    SAVE,
    SCHEDULE,
    START,
    STATS,
    SUBSCRIBE,
    SURVEY,
    TRIAGE,
    TRIAGE_PREFIX,
    TRY,
    UPLOAD,
    VERSION,
    WALK,
    WONT_FIX,
    WRITE,
    YAML,
    contribute_data,
    exactly,
    forward_pattern,
    moderate_pattern,
    pattern,
)
from handlers.common import Handler, access
from handlers.context import Ctx, TorgetApp


def register(app: TorgetApp) -> None:
    """Add all handlers. Within a group the first match wins, so order matters."""
    private = filters.ChatType.PRIVATE
    # Only new messages: an edited message must not count as a second answer.
    new_private = private & filters.UpdateType.MESSAGE
    services = app.bot_data.services
    assert services is not None
    from_staff = guard.FromStaff(services)

    # Group -1 runs before all others: a flood from one sender stops here.
    app.add_handler(TypeHandler(Update, guard.limit_flood), group=-1)
    # Torget talks one to one, but for a safety walk in a group (handlers/walk.py): there the
    # walk's commands, and a walker's findings while a walk is on (one read of the group's
    # open walk per message); any other command gets a pointer to a private chat. Nothing is
    # stored of anyone who did not join a walk; channel posts are ignored.
    groups = filters.ChatType.GROUPS
    new_in_group = groups & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("walk", walk.start_walk, filters=new_in_group))
    app.add_handler(CommandHandler("stop", walk.move_to_stop, filters=new_in_group))
    app.add_handler(CommandHandler("audit", walk.post_audit, filters=new_in_group))
    app.add_handler(CommandHandler("endwalk", walk.end_walk, filters=new_in_group))
    app.add_handler(MessageHandler(groups & filters.COMMAND, guard.group_hint))
    findings = new_in_group & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(findings, walk.group_message))

    # Commands first, so "/help" typed during a text question is not taken as the answer.
    # An invitation link's /start (Join-…, core.roles) before every other deep link.
    invitation = filters.Regex(r"^/start(@\w+)? Join-")
    app.add_handler(CommandHandler("start", roles.join, filters=new_private & invitation))
    app.add_handler(CommandHandler("start", start.start, filters=new_private))
    app.add_handler(CommandHandler("menu", start.show_menu, filters=new_private))
    app.add_handler(CommandHandler("language", start.ask_language, filters=new_private))
    app.add_handler(CommandHandler("help", start.help_command, filters=new_private))
    # An admin asked for a campaign's dates (stored, so on any replica) cancels that first.
    # So is a question of moderation (a reason, an original, a deadline).
    moderation_cancel = moderation.or_else(moderation.cancel, start.cancel)
    admins_cancel = schedule.or_else(schedule.cancel, moderation_cancel)
    app.add_handler(CommandHandler("cancel", admins_cancel, filters=new_private & from_staff))
    app.add_handler(CommandHandler("cancel", start.cancel, filters=new_private))
    app.add_handler(CommandHandler("mydata", privacy.my_data, filters=new_private))
    app.add_handler(CommandHandler("delete", privacy.ask_delete, filters=new_private))
    app.add_handler(CommandHandler("idea", ideas.share_idea, filters=new_private))
    app.add_handler(CommandHandler("tip", ideas.report_tip, filters=new_private))
    app.add_handler(CommandHandler("mine", ideas.my_contributions, filters=new_private))
    app.add_handler(CommandHandler("notify", news.notify, filters=new_private))
    # Admin commands check the sender themselves: a command menu only hides them.
    app.add_handler(CommandHandler("moderate", moderation.moderate, filters=new_private))
    app.add_handler(CommandHandler("campaigns", campaigns.campaigns, filters=new_private))
    app.add_handler(CommandHandler("reload", reload.reload, filters=new_private))
    app.add_handler(CommandHandler("stats", stats.stats, filters=new_private))
    app.add_handler(CommandHandler("export", export.export_file, filters=new_private))
    app.add_handler(CommandHandler("versions", download.versions, filters=new_private))
    app.add_handler(CommandHandler("invite", roles.invite, filters=new_private))
    app.add_handler(CommandHandler("organizers", roles.organizers, filters=new_private))
    app.add_handler(CommandHandler("audit", audit.audit_log, filters=new_private))
    app.add_handler(CommandHandler("web", web.web_link, filters=new_private))
    app.add_handler(CommandHandler("forward", forward.forward_command, filters=new_private))
    app.add_handler(CommandHandler("walk", walk.walk_in_private, filters=new_private))
    app.add_handler(MessageHandler(new_private & filters.COMMAND, guard.unknown_command))

    # Buttons: one handler per action, by its callback data (handlers/buttons.py). A family's
    # last handler takes its data of no known action, as the family always has.
    def button(handler: Handler, data_pattern: str) -> None:
        app.add_handler(CallbackQueryHandler(handler, pattern=data_pattern))

    button(start.choose_language, rf"^{LANGUAGE}:")
    button(start.consent, rf"^{CONSENT}:")
    button(start.show_menu, exactly(MENU))
    button(survey.pick_survey, rf"^{SURVEY}:")
    button(survey.resume_survey, rf"^{RESUME}:")
    button(survey.restart_survey, rf"^{RESTART}:")
    button(survey.press_answer, rf"^{ANSWER}:")
    button(privacy.delete_everything, exactly(CONFIRM_DELETE))
    button(privacy.keep_everything, rf"^{DELETE}:")
    button(ideas.share_idea, exactly(contribute_data(Kind.IDEA)))
    button(ideas.report_tip, exactly(contribute_data(Kind.TIP)))
    button(ideas.my_contributions, exactly(contribute_data(MINE)))
    button(ideas.ignore, rf"^{CONTRIBUTE}:")
    for changing_keyboard in (HIDE, BACK, TRIAGE):
        button(moderation.change_buttons, moderate_pattern(changing_keyboard))
    for going_on in (NEXT, START):
        button(moderation.next_one, moderate_pattern(going_on))
    # The old ✔️ Handled (HANDLED) too: decide says it is no longer offered.
    for deciding in (APPROVE, HANDLED, HIDDEN, PLAN, BEGIN, FIX):
        button(moderation.decide, moderate_pattern(deciding))
    for asking_first in (WONT_FIX, DUPLICATE):
        button(moderation.ask_detail, moderate_pattern(asking_first))
    button(moderation.drop_question, moderate_pattern(DROP))
    button(moderation.ignore, rf"^{MODERATE}:")
    button(moderation.triage_button, pattern(TRIAGE_PREFIX))
    button(news.may_write, pattern(SUBSCRIBE, WRITE))
    for offered in (NEWS, REMINDERS):
        button(news.decline, pattern(SUBSCRIBE, offered, "no"))
    button(news.switch, rf"^{SUBSCRIBE}:")
    for asking in (CLOSE, ANNOUNCE, KEEP_CAMPAIGN):
        button(campaigns.ask_first, pattern(CAMPAIGN, asking))
    for switching in (OPEN, CLOSE + CONFIRMED):
        button(campaigns.open_or_close, pattern(CAMPAIGN, switching))
    button(campaigns.announce_now, pattern(CAMPAIGN, ANNOUNCE + CONFIRMED))
    button(stats.results, pattern(CAMPAIGN, STATS))
    button(download.campaign_file, pattern(CAMPAIGN, YAML))
    button(trial.try_campaign, pattern(CAMPAIGN, TRY))
    button(schedule.begin, pattern(CAMPAIGN, SCHEDULE))
    button(campaigns.ignore, rf"^{CAMPAIGN}:")
    button(upload.save, pattern(UPLOAD, SAVE))
    button(upload.save_anyway, pattern(UPLOAD, SAVE + CONFIRMED))
    button(upload.cancel, pattern(UPLOAD, DROP))
    button(upload.ignore, rf"^{UPLOAD}:")
    button(download.download_version, rf"^{VERSION}:")
    button(schedule.save, pattern(PROMPT, SAVE))
    button(schedule.drop, pattern(PROMPT, DROP))
    button(schedule.clear, pattern(PROMPT, CLEAR))
    button(schedule.ignore, rf"^{PROMPT}:")
    button(roles.organizer_button, rf"^{ORGANIZER}:")
    button(audit.turn_page, rf"^{AUDIT}:")
    # A walk's buttons, pressed in its group (guard.limit_flood lets only these through).
    button(walk.join, pattern(WALK, JOIN_WALK))
    button(walk.choose_category, pattern(WALK, FINDING_CATEGORY))
    button(walk.discard, pattern(WALK, DISCARD_FINDING))
    button(walk.choose_judgement, pattern(WALK, FINDING_JUDGEMENT))
    button(walk.audit_stop, pattern(WALK, AUDIT_STOP))
    button(walk.score, pattern(WALK, AUDIT_SCORE))
    button(walk.ignore, rf"^{WALK}:")
    # Closing the loop: answers to "does it feel safer now?", and "me too" at a tip's Send.
    button(followup.answer, rf"^{FOLLOWUP}:")
    button(metoo.me_too, rf"^{METOO}:")
    # Forwarding to the municipality (handlers/forward.py): fw:<what>:<contribution>[:…].
    button(forward.offer_button, forward_pattern(FORWARD_OFFER))
    for choosing in (FORWARD_SERVICE, FORWARD_EMAIL):
        button(forward.show_what_is_sent, forward_pattern(choosing))
    button(forward.send_it, forward_pattern(FORWARD_SEND))
    button(forward.cancel, forward_pattern(FORWARD_CANCEL))
    button(forward.ignore, forward_pattern())
    # Anything else (a button from an older version of the bot): show where the resident is.
    app.add_handler(CallbackQueryHandler(survey.stale_button))

    # A file from an owner or organizer is a survey, categories or places file to check and
    # save; a picture sent as a file is left to the survey, which explains why it is refused.
    # Whose file it is takes the store to tell (a filter cannot wait for it), so the handler
    # asks, and anyone else's file goes on as it always has, a resident's message.
    organizers_file = filters.Document.ALL & ~filters.Document.IMAGE
    app.add_handler(MessageHandler(new_private & organizers_file, _document))
    # An owner's or organizer's text may answer what the bot asked them (a campaign's dates);
    # only their messages are looked up for that, so a resident's answer costs no read more.
    staff_text = new_private & filters.TEXT & ~filters.COMMAND & from_staff
    otherwise = moderation.or_else(moderation.answer, survey.message)
    app.add_handler(MessageHandler(staff_text, schedule.or_else(schedule.answer, otherwise)))
    # A sticker or photo where moderation asked for text is told so; anyone else's goes on.
    staff_other = new_private & ~filters.TEXT & ~filters.COMMAND & from_staff
    app.add_handler(MessageHandler(staff_other, otherwise))

    # Everything else a resident sends is an answer, or gets a hint.
    app.add_handler(MessageHandler(new_private, survey.message))

    app.add_error_handler(errors.on_error)


async def _document(update: Update, context: Ctx) -> None:
    if (await access(update, context)).staff:
        await upload.receive(update, context)
    else:
        await survey.message(update, context)
