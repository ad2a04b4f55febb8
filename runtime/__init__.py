"""The bot's runtime: what runs the handlers, and what runs beside them.

Updates come in by long polling (polling.py) or webhooks (webhook.py), each handled to the
end in its resident's turn (delivery.py, concurrency.py) over aiohttp (transport.py); the
outbox sender (outbox.py), the scheduler (scheduler.py) and housekeeping (housekeeping.py)
are loops that answer no update. app.py builds the Application and starts and stops them.

The runtime may import handlers, core and storage; nothing below it imports the runtime.
"""
