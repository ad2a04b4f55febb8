"""The web view: the partnership's map and results in a browser, served by the bot's process.

Floor 4 beside handlers/: it imports exports, storage, core and config, tornado and Jinja2,
never handlers/ or Telegram. runtime/ mounts `app.routes` on the webhook's server, or on a
server of its own in polling mode. An organizer logs in with a one-time link from /web.
"""
