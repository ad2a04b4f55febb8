"""The domain: surveys, the engine, privacy and export shapes. No Telegram, no database."""
