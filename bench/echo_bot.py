"""The floor: a minimal python-telegram-bot bot that sends every text straight back.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT python -m bench.echo_bot

No PTB bot does less work per update, so no PTB bot can be faster on this machine. It runs
with the same HTTP layer, polling and concurrency as Torget (bot.py), so the ratio between
the two is the price of Torget's own work: the database, the engine, the rendering and the
extra Bot API calls. ECHO_TRANSPORT=httpx runs it on PTB's default HTTP layer instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.concurrency import PerResidentUpdateProcessor
from runtime.transport import AiohttpRequest


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    assert update.message is not None and update.message.text is not None
    await context.bot.send_message(update.message.chat_id, update.message.text)


def main() -> None:
    api = os.environ["TELEGRAM_API_URL"]
    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .concurrent_updates(PerResidentUpdateProcessor())
    )
    if os.environ.get("ECHO_TRANSPORT", "aiohttp") == "aiohttp":
        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connections=1)
        )
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=["message"])


if __name__ == "__main__":
    main()
