"""The tables, in SQLAlchemy Core: one schema for SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite gives back what it was given without the offset: it was UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON null (a skipped answer) must stay distinct from SQL NULL (no value at all).
Answer = JSON(none_as_null=False)

metadata = MetaData()


def _resident(**flags: Any) -> Column[Any]:
    """The resident a row belongs to (the pseudonym): the row goes when the resident does."""
    return Column(
        "pseudonym", String(64), ForeignKey("residents.pseudonym", ondelete="CASCADE"), **flags
    )


processed_updates = Table(
    "processed_updates",
    metadata,
    # Telegram update ids restart at random after a week of idleness: keep a set, not a max.
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("claimed_at", UTCDateTime, nullable=False),
)

# Updates long polling has fetched and not yet finished with (runtime/polling.py): once an
# update is here, Telegram may forget it, so polling confirms it at once and never fetches
# it again; a kill -9 loses none (the next start handles what is left here). A row goes as
# soon as its update is handled (or given up), so the table holds at most a batch or two.
fetched_updates = Table(
    "fetched_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("data", Text, nullable=False),  # the update's JSON as Telegram sent it
)

residents = Table(
    "residents",
    metadata,
    Column("pseudonym", String(64), primary_key=True),
    Column("language", String(5), nullable=False),
    Column("consented_at", UTCDateTime, nullable=False),
    # News of new campaigns and the one reminder to finish a survey are both opt-in: asked
    # together after consent, so a resident who says no (or nothing) gets neither. Consent
    # stores both as off by name: the reminder's column default is still the opt-out of
    # 0001, since changing a default on SQLite means rebuilding the table, and dropping the
    # old one would cascade to every resident's answers (foreign keys are on).
    Column("news", Boolean, nullable=False, server_default=false()),
    Column("reminders", Boolean, nullable=False, server_default=true()),
)

# Where to write back to a resident, kept apart from everything that is exported.
chats = Table(
    "chats",
    metadata,
    _resident(primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
)

responses = Table(
    "responses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _resident(nullable=False),
    Column("survey_id", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("state", JSON, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime, nullable=True),
    # The session version whose question the resident was last shown (the reply was sent).
    # A message that arrives while it lags behind the session's version answers a question
    # the resident never saw (the bot died after saving, before replying): it is not taken.
    Column("shown_version", Integer, nullable=True),
    # The session's version (also inside `state`), as a column so that saving a step can
    # check in one statement that nobody saved another step since it was read: two replicas
    # answering the same resident at once must not both win.
    Column("version", Integer, nullable=False, server_default="0"),
    # The campaign's version (definitions.version) the response is answered on; None for
    # responses from before campaigns were versioned, which are version 1.
    Column("survey_version", Integer, nullable=True),
    # An organizer trying a campaign before residents do: answered as any response, never
    # counted or exported, and deleted after a day (storage.purges.purge_trials).
    Column("trial", Boolean, nullable=False, server_default=false()),
    Index("ix_responses_resident", "pseudonym", "status", "updated_at"),
    Index("ix_responses_survey", "survey_id", "id"),
    # Never reuse the id of a deleted response: buttons on old messages carry it.
    sqlite_autoincrement=True,
)

answers = Table(
    "answers",
    metadata,
    Column(
        "response_id",
        Integer,
        ForeignKey("responses.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("question_id", String(32), nullable=False),
    Column("value", Answer, nullable=True),
    Column("answered_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("response_id", "question_id"),
)

# Ideas and safety tips. Coordinates are stored already coarsened; the chat id is not here.
contributions = Table(
    "contributions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _resident(nullable=False),
    Column("kind", String(8), nullable=False),
    Column("category", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("place_name", String(200), nullable=True),
    Column("place_tag", String(30), nullable=True),
    Column("photo_file_id", String(200), nullable=True),
    Column("photo_unique_id", String(100), nullable=True),
    Column("time_of_day", String(8), nullable=True),
    Column("contactable", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("hidden_reason", String(20), nullable=True),
    Column("source", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    # Closing the loop (0014): core.loop and the statuses of core.contributions.
    Column("time_band", String(5), nullable=True),
    Column("walk_id", Integer, nullable=True),  # a walk finding's walk (walks.id)
    Column("stop", Integer, nullable=True),
    Column("judgement", String(8), nullable=True),
    Column("voice_file_id", String(200), nullable=True),
    Column("voice_unique_id", String(100), nullable=True),
    Column("status_reason", Text, nullable=True),
    Column("duplicate_of", Integer, nullable=True),
    Column("forwarded_to", String(200), nullable=True),
    Column("responsible", String(16), nullable=True),
    Column("priority", String(8), nullable=True),
    Column("deadline", Date, nullable=True),
    Column("themes", JSON, nullable=True),  # [theme, ...]; NULL reads as none
    Index("ix_contributions_status", "status", "id"),
    Index("ix_contributions_resident", "pseudonym", "id"),
    Index("ix_contributions_walk", "walk_id", "id"),
    # Moderation buttons carry the id: a deleted contribution's id is never given again.
    sqlite_autoincrement=True,
)

# The pictures residents sent (with an idea or tip, or as a survey answer), downloaded from
# Telegram once and kept here: a file id opens a photo only for this bot, and only while
# Telegram keeps it. The bytes live in the database so that every replica finds them and the
# database's backup is the photos' backup. A row is queued ("waiting") in the transaction that
# stores the answer naming it, so nothing is lost if the process dies before the download; it
# is one resident's (a picture forwarded by two residents is two rows) and goes with them.
photos = Table(
    "photos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Telegram's file_unique_id: the same file for every bot and ever after (URL-safe).
    Column("unique_id", String(100), nullable=False),
    Column("file_id", String(200), nullable=False),  # what getFile takes
    _resident(nullable=False),
    Column("status", String(8), nullable=False),  # waiting, stored, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    # When a waiting photo is due; while a fetcher holds it, the end of its hold.
    Column("next_try_at", UTCDateTime, nullable=False),
    Column("holder", String(64), nullable=True),
    Column("data", LargeBinary, nullable=True),  # a JPEG without EXIF, GPS or other metadata
    Column("bytes", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("stored_at", UTCDateTime, nullable=True),
    UniqueConstraint("pseudonym", "unique_id", name="uq_photos_resident"),
    Index("ix_photos_unique", "unique_id"),
    Index("ix_photos_due", "status", "next_try_at"),
    sqlite_autoincrement=True,
)

# A safety walk in a group chat (core.walks). chat_id is the group's, never a person's.
walks = Table(
    "walks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("title", String(80), nullable=False),
    Column("route", JSON, nullable=False),  # [{"name", "lat", "lon", "tag"}, ...]
    Column("current_stop", Integer, nullable=True),
    Column("started_by", String(64), nullable=False),  # the organizer's pseudonym
    Column("lang", String(5), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Index("ix_walks_chat", "chat_id", "ended_at"),
    sqlite_autoincrement=True,
)

# Who joined a walk, having been told what is stored: nobody else in the group is kept.
walk_members = Table(
    "walk_members",
    metadata,
    Column("walk_id", Integer, ForeignKey("walks.id", ondelete="CASCADE"), nullable=False),
    _resident(nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("walk_id", "pseudonym"),
)

# Safetipin's nine parameters at a stop, one row per walker: {"lighting": 2, ...}.
walk_audits = Table(
    "walk_audits",
    metadata,
    Column("walk_id", Integer, ForeignKey("walks.id", ondelete="CASCADE"), nullable=False),
    Column("stop", Integer, nullable=False),
    _resident(nullable=False),
    Column("scores", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("walk_id", "stop", "pseudonym"),
)

# "Me too": a resident adding their voice to an existing tip or finding instead of a new one.
voices = Table(
    "voices",
    metadata,
    Column(
        "contribution_id",
        Integer,
        ForeignKey("contributions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _resident(nullable=False),
    Column("hear_back", Boolean, nullable=False),  # told of its changes, asked after a fix
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("contribution_id", "pseudonym"),
)

# "Känns det tryggare nu?": one question per resident and fix, sent when due, at most once.
followups = Table(
    "followups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "contribution_id",
        Integer,
        ForeignKey("contributions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _resident(nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("answer", String(10), nullable=True),  # core.loop.SaferAnswer
    Column("answered_at", UTCDateTime, nullable=True),
    UniqueConstraint("contribution_id", "pseudonym", "due_at", name="uq_followups_once"),
    Index("ix_followups_due", "sent_at", "due_at"),
    sqlite_autoincrement=True,
)

# A tip or finding sent on to the municipality: Open311 GeoReport v2 or e-mail. Nothing about
# the resident is in it; the loop in runtime/ sends it and reads its status back.
forwards = Table(
    "forwards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "contribution_id",
        Integer,
        ForeignKey("contributions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("channel", String(8), nullable=False),  # core.loop.ForwardChannel
    Column("target", String(200), nullable=False),  # the service's name or the address
    Column("service_code", String(64), nullable=True),
    Column("state", String(8), nullable=False),  # core.loop.ForwardState
    Column("external_id", String(64), nullable=True),  # Open311's service_request_id
    Column("external_status", String(32), nullable=True),  # open, closed, ...
    Column("external_notes", Text, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_try_at", UTCDateTime, nullable=False),
    Column("holder", String(64), nullable=True),
    Column("error", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("checked_at", UTCDateTime, nullable=True),
    # The organizer who forwarded it (pseudonym), told when it could not be sent (0015).
    Column("forwarded_by", String(64), nullable=True),
    Index("ix_forwards_due", "state", "next_try_at"),
    Index("ix_forwards_contribution", "contribution_id"),
    sqlite_autoincrement=True,
)

# Dates an admin set from Telegram (Open now, Close now); they replace the file's dates, and
# live here so that a restart and every replica see them.
campaign_schedules = Table(
    "campaign_schedules",
    metadata,
    Column("survey_id", String(40), primary_key=True),
    Column("opens", UTCDateTime, nullable=True),
    Column("closes", UTCDateTime, nullable=True),
    Column("changed_at", UTCDateTime, nullable=False),
)

# Campaigns and the lists beside them (categories, places), as their authors wrote them: each
# change a new version, never an overwrite, so that a response answered on version 2 is read
# with version 2's questions. Every replica serves the newest version of each.
definitions = Table(
    "definitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(12), nullable=False),  # survey, categories or places
    Column("name", String(40), nullable=False),  # the survey's id; "categories", "places"
    Column("version", Integer, nullable=False),
    Column("source", Text, nullable=False),  # the YAML text as written (or converted)
    Column("digest", String(64), nullable=False),  # sha256 of source: is a file new?
    Column("origin", String(120), nullable=False),  # "file:soder.yaml", "telegram", "cli"
    Column("author", String(64), nullable=True),  # the organizer's pseudonym; None for files
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "name", "version", name="uq_definitions_version"),
    sqlite_autoincrement=True,
)

# A file an organizer sent, checked and shown to them, waiting for Save: kept here rather
# than in one process's memory, since the Save press may reach another replica.
uploads = Table(
    "uploads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(12), nullable=False),
    Column("name", String(40), nullable=False),
    Column("source", Text, nullable=False),
    Column("based_on", Integer, nullable=True),  # the version it was compared with
    Column("author", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

# What the bot has just asked an organizer in a conversation of several messages (the dates
# of a campaign): their next text message is its answer, on whichever replica it lands and
# after a restart. One per organizer; a new question replaces the last, an old one expires.
prompts = Table(
    "prompts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pseudonym", String(64), nullable=False),
    Column("asking", String(20), nullable=False),  # what the next message answers
    Column("subject", String(40), nullable=False),  # the campaign it is about
    Column("answered", JSON, nullable=False),  # what was answered so far
    Column("asked_at", UTCDateTime, nullable=False),
    UniqueConstraint("pseudonym", name="uq_prompts_pseudonym"),
    # Buttons carry the id: a prompt's id is never given again to a later one.
    sqlite_autoincrement=True,
)

# One announcement, or one round of reminders: the messages of the outbox belong to one.
mailings = Table(
    "mailings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Who made it and why ("auto:<survey>:<opens>", "button:<update>"): made once, however
    # many replicas or restarts try.
    Column("key", String(120), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    Column("survey_id", String(40), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    # The admins' progress messages, [[chat_id, message_id], ...], edited as it goes.
    Column("progress", JSON, nullable=False),
    sqlite_autoincrement=True,
)

# Messages waiting to be sent, sent, or given up on. A row is claimed (status "sending",
# due_at the end of the claim) before its message goes out and marked right after, so a
# crash leaves at most the one message in flight in doubt.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "mailing_id",
        Integer,
        ForeignKey("mailings.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _resident(nullable=False),
    # "announce:<survey>" or "remind:<response>": a resident gets each one once, ever.
    Column("topic", String(64), nullable=False),
    Column("response_id", Integer, nullable=True),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    # The sender that claimed the row: only it may mark it sent, failed or due again.
    Column("holder", String(64), nullable=True),
    # Set just before the message goes to Telegram and cleared when Telegram said no: a row
    # whose claim lapsed with this set may have reached the resident, so it is never sent
    # again (at most once: a second announcement is worse than a lost one).
    Column("attempted_at", UTCDateTime, nullable=True),
    UniqueConstraint("pseudonym", "topic", name="uq_outbox_once"),
    Index("ix_outbox_due", "status", "due_at", "id"),
    Index("ix_outbox_mailing", "mailing_id", "status"),
    sqlite_autoincrement=True,
)

# Work only one process may do at a time (the scheduler, the outbox sender), held for a
# while and renewed by its holder; another replica takes over when it lapses.
leases = Table(
    "leases",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("until", UTCDateTime, nullable=False),
)

# What a campaign's retention keeps of purged responses: counts per question and answer
# ("" and "started"/"complete" count the responses). No pseudonym, nothing per person.
retained_counts = Table(
    "retained_counts",
    metadata,
    Column("survey_id", String(40), nullable=False),
    Column("question_id", String(32), nullable=False),
    Column("answer", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("survey_id", "question_id", "answer"),
)

# Facts of the whole deployment that every replica must share. "pseudonym": the secret that
# makes pseudonyms (when PSEUDONYM_SECRET is not set), or only its fingerprint (when it is,
# so that a replica started with another secret refuses to start). The secret sits beside
# chats.chat_id, which already links a pseudonym to a Telegram id, so keeping it here links
# nothing that the database did not already.
deployment = Table(
    "deployment",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("secret", Text, nullable=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Who may run campaigns besides the owners (ADMIN_IDS): organizers, each joined by a one-time
# invitation, perhaps limited to an area. `name` is their Telegram name when they joined, as
# owners see it in /organizers; chat_id is for their command menu.
organizers = Table(
    "organizers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pseudonym", String(64), nullable=False, unique=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("name", String(128), nullable=False),
    Column("area", String(40), nullable=True),
    Column("joined_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

# Invitation links, kept by the token's SHA-256 (the token itself is only in the link).
invitations = Table(
    "invitations",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("area", String(40), nullable=True),
    Column("owner_chat_id", BigInteger, nullable=False),  # told who joined
    Column("owner_name", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

# Every change to a campaign and every role change: who (their Telegram name at the time and
# role, never an id), when, what, which campaign and version.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("role", String(12), nullable=False),
    Column("action", String(16), nullable=False),
    Column("campaign", String(40), nullable=True),
    Column("version", Integer, nullable=True),
    Column("detail", String(200), nullable=True),
    Index("ix_audit_log_at", "at", "id"),
    sqlite_autoincrement=True,
)

# The web view's one-time login links (from /web) and browsers' sessions, each kept by its
# token's SHA-256 (the token itself is only in the link or the cookie). `pseudonym` is the
# owner's or organizer's: what they may see is read from organizers (and ADMIN_IDS) on every
# request, so a removal counts at once. `name` is their Telegram name, for the audit log.
web_links = Table(
    "web_links",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("pseudonym", String(64), nullable=False),
    Column("name", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("pseudonym", String(64), nullable=False),
    Column("name", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
)
