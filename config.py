"""Settings: one pydantic-settings model, read once in bot.py and passed down."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.survey import Area, Precision


class Settings(BaseSettings):
    """Everything an operator sets, from the environment or a .env file."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    database_url: str = "sqlite+aiosqlite:///data/torget.db"
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    surveys_dir: Path = Path("surveys")
    pseudonym_secret: SecretStr | None = None
    data_dir: Path = Path("data")
    # Residents away this long are asked whether to continue where they were or start over.
    resume_after_minutes: int = Field(default=60, ge=1)
    # Who collects the answers, as the privacy notice names them (default: a generic phrase).
    organizer_name: str | None = None
    log_level: str = "INFO"
    # Shared positions are snapped to a grid this coarse before they are stored.
    location_precision: Precision = "100m"
    # The area residents report about, "west,south,east,north" in degrees (as in GeoJSON's
    # bbox); a place far outside it is refused. None: anywhere.
    area_bbox: Annotated[Area | None, NoDecode] = None
    # The bot's @username, for deep links and QR codes (python bot.py qr).
    bot_username: str | None = None
    # Messages a second to many residents (announcements, reminders); Telegram allows about
    # 30 a second to different chats before it answers "retry after".
    outbox_rate: float = Field(default=25.0, gt=0, le=30)
    # Personal data is kept at most this many days (a survey's own `retention` can be
    # shorter); then answers become counts and ideas and tips are deleted.
    retention_days: int = Field(default=365, ge=1, le=3650)
    # Webhook mode (several replicas behind a load balancer): the public https URL that
    # reaches this bot's /telegram route, and the secret Telegram repeats in every request.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # The web view's public base address behind the reverse proxy, e.g.
    # https://torget.example.se/web: /web's login links start with it. None: no web view.
    web_url: str | None = None
    # The map's tiles ({z}/{x}/{y}) and the credit their terms ask for under the map.
    web_tiles_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    web_tiles_attribution: str = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    )
    # Seconds between the scheduler's rounds (announce, remind, pick up admins' dates).
    scheduler_seconds: float = Field(default=60.0, gt=0)
    # Seconds between a replica's looks at the stored campaigns: a version saved on one
    # replica (or imported by its /reload) is served by every replica this soon.
    campaigns_refresh_seconds: float = Field(default=5.0, gt=0)
    # Per resident: messages a second, sustained, and how many at once (a burst) before
    # the excess is dropped with one polite notice. Tapping through a survey stays far below.
    flood_rate: float = Field(default=1.0, gt=0)
    flood_burst: int = Field(default=20, ge=1)
    # Seconds between the photo fetcher's looks for photos due again after a failed download
    # (or queued on another replica); a photo sent to this replica is fetched at once.
    photo_retry_seconds: float = Field(default=30.0, gt=0)
    # One reminder to finish a survey, this long after the resident's last answer; 0: none.
    reminder_after_hours: float = Field(default=24.0, ge=0)
    # Seconds between the follow-up loop's looks for "Känns det tryggare nu?" questions due.
    followup_seconds: float = Field(default=300.0, gt=0)
    # How long after a fix its residents are asked whether it feels safer (the method's "after
    # a while"; a lamp is judged after some dark evenings, a tunnel's paint after weeks).
    follow_up_days: float = Field(default=28.0, gt=0, le=365)

    @property
    def follow_up_after(self) -> timedelta:
        return timedelta(days=self.follow_up_days)

    @field_validator("area_bbox", mode="before")
    @classmethod
    def _bbox(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            parts = [float(part) for part in value.split(",")]
            if len(parts) != 4:
                raise ValueError("AREA_BBOX takes four numbers: west,south,east,north")
            west, south, east, north = parts
            return Area(west=west, south=south, east=east, north=north)
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            return tuple(int(part) for part in parts if part)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram takes 1-256 characters of A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("WEBHOOK_SECRET takes 1-256 letters, digits, _ or -")
        return value

    @field_validator("telegram_api_url", "web_url")
    @classmethod
    def _root_url(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @field_validator("web_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("WEB_URL is the web view's address: https://torget.example.se/web")
        return value

    # ---- forwarding to the municipality (handlers/forward.py, runtime/forwarding.py) ----
    # Open311 GeoReport v2: the endpoint's base, e.g. https://open311.helsingborg.se/v2, the
    # API key it gave the partnership (a secret: never logged) and, when the endpoint serves
    # several municipalities, the jurisdiction id.
    open311_url: str | None = None
    open311_api_key: SecretStr | None = None
    open311_jurisdiction: str | None = None
    # Where fault reports go by e-mail when there is no Open311 (or as well), and the server
    # that sends them.
    forward_email: str | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str | None = None
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # The municipality as residents and the contribution's "forwarded to" read it.
    forward_name: str = "Kommunen"
    # A failed send waits this long, then twice as long each time (at most six hours).
    forward_retry_seconds: float = Field(default=60.0, gt=0)
    # How often the status of open Open311 requests is read back.
    forward_check_seconds: float = Field(default=3600.0, gt=0)

    @field_validator("open311_url")
    @classmethod
    def _open311_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("OPEN311_URL is the GeoReport v2 base: https://open311.example.se/v2")
        return value.rstrip("/") if value else None

    @property
    def open311_on(self) -> bool:
        return bool(self.open311_url and self.open311_api_key is not None)

    @property
    def email_on(self) -> bool:
        return bool(self.forward_email and self.smtp_host and self.smtp_from)

    @property
    def forwarding_on(self) -> bool:
        """Forwarding is offered only when Open311 or e-mail is set up."""
        return self.open311_on or self.email_on
