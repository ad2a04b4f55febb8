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

from handlers import admin, errors, guard, ideas, moderation, news, privacy, start, survey
from handlers.context import TorgetApp
from handlers.render import (
    ANSWER,
    CAMPAIGN,
    CONSENT,
    CONTRIBUTE,
    LANGUAGE,
    MENU,
    MODERATE,
    RESTART,
    RESUME,
    SUBSCRIBE,
    SURVEY,
)


def register(app: TorgetApp) -> None:
    """Add all handlers. Within a group the first match wins, so order matters."""
    private = filters.ChatType.PRIVATE
    # Only new messages: an edited message must not count as a second answer.
    new_private = private & filters.UpdateType.MESSAGE

    # Group -1 runs before all others: a flood from one sender stops here.
    app.add_handler(TypeHandler(Update, guard.limit_flood), group=-1)
    # Torget talks one to one: in a group, a command gets a pointer to a private chat and
    # nothing is stored; anything else there, and channel posts, are ignored.
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, guard.group_hint))

    # Commands first, so "/help" typed during a text question is not taken as the answer.
    app.add_handler(CommandHandler("start", start.start, filters=new_private))
    app.add_handler(CommandHandler("menu", start.show_menu, filters=new_private))
    app.add_handler(CommandHandler("language", start.ask_language, filters=new_private))
    app.add_handler(CommandHandler("help", start.help_command, filters=new_private))
    app.add_handler(CommandHandler("cancel", start.cancel, filters=new_private))
    app.add_handler(CommandHandler("mydata", privacy.my_data, filters=new_private))
    app.add_handler(CommandHandler("delete", privacy.ask_delete, filters=new_private))
    app.add_handler(CommandHandler("idea", ideas.share_idea, filters=new_private))
    app.add_handler(CommandHandler("tip", ideas.report_tip, filters=new_private))
    app.add_handler(CommandHandler("mine", ideas.my_contributions, filters=new_private))
    app.add_handler(CommandHandler("notify", news.notify, filters=new_private))
    # Admin commands check the sender themselves: a command menu only hides them.
    app.add_handler(CommandHandler("moderate", moderation.moderate, filters=new_private))
    app.add_handler(CommandHandler("campaigns", admin.campaigns, filters=new_private))
    app.add_handler(CommandHandler("reload", admin.reload, filters=new_private))
    app.add_handler(CommandHandler("stats", admin.stats, filters=new_private))
    app.add_handler(CommandHandler("export", admin.export_file, filters=new_private))
    app.add_handler(MessageHandler(new_private & filters.COMMAND, start.unknown_command))

    # Buttons, by the prefix of their callback data.
    app.add_handler(CallbackQueryHandler(start.choose_language, pattern=rf"^{LANGUAGE}:"))
    app.add_handler(CallbackQueryHandler(start.consent, pattern=rf"^{CONSENT}:"))
    app.add_handler(CallbackQueryHandler(start.show_menu, pattern=rf"^{MENU}$"))
    app.add_handler(CallbackQueryHandler(survey.pick_survey, pattern=rf"^{SURVEY}:"))
    app.add_handler(CallbackQueryHandler(survey.resume_survey, pattern=rf"^{RESUME}:"))
    app.add_handler(CallbackQueryHandler(survey.restart_survey, pattern=rf"^{RESTART}:"))
    app.add_handler(CallbackQueryHandler(survey.press_answer, pattern=rf"^{ANSWER}:"))
    app.add_handler(CallbackQueryHandler(privacy.confirm_delete, pattern=rf"^{privacy.DELETE}:"))
    app.add_handler(CallbackQueryHandler(ideas.menu_choice, pattern=rf"^{CONTRIBUTE}:"))
    app.add_handler(CallbackQueryHandler(moderation.press, pattern=rf"^{MODERATE}:"))
    app.add_handler(CallbackQueryHandler(news.press, pattern=rf"^{SUBSCRIBE}:"))
    app.add_handler(CallbackQueryHandler(admin.press, pattern=rf"^{CAMPAIGN}:"))
    # Anything else (a button from an older version of the bot): show where the resident is.
    app.add_handler(CallbackQueryHandler(survey.stale_button))

    # Everything else a resident sends is an answer, or gets a hint.
    app.add_handler(MessageHandler(new_private, survey.message))

    app.add_error_handler(errors.on_error)
