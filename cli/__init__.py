"""The operators' command line beside bot.py: stored campaigns without Telegram."""
