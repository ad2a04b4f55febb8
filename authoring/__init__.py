"""The organizers' tools at the terminal: try a survey, its JSON Schema, XLSForm import.

They depend on core only: no Telegram and no database, so an organizer can use them on a
laptop with nothing but the survey files.
"""
