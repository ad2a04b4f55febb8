"""core.roles: who sees which campaign, what an invitation link carries, whose a tip is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.contributions import Kind, NewContribution, parse_start_code
from core.loader import check_survey
from core.roles import (
    NOBODY,
    OWNER,
    Access,
    Refusal,
    Role,
    area_tag,
    areas_of,
    clean_area,
    contribution_in_area,
    invitation_payload,
    new_token,
    refusal,
    token_digest,
    token_of,
)
from core.survey import Survey

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def survey(survey_id: str, area: str | None, box: str = "") -> Survey:
    area_line = f"area_name: {area}\n" if area else ""
    return check_survey(
        f"id: {survey_id}\ntitle: {{sv: T, en: T}}\n{area_line}{box}"
        "questions:\n  - {id: q, type: text, text: {sv: F, en: Q}}\n",
        f"{survey_id}.yaml",
    )


def test_an_organizer_of_an_area_sees_only_its_campaigns() -> None:
    soder = Access(Role.ORGANIZER, "Söder")
    assert soder.sees("Söder") and soder.sees("  söder ")
    assert not soder.sees("Maria Torg") and not soder.sees(None)
    everywhere = Access(Role.ORGANIZER)
    assert everywhere.sees("Maria Torg") and everywhere.sees(None)
    assert OWNER.sees("Söder") and OWNER.owner and not everywhere.owner
    assert not NOBODY.sees(None) and not NOBODY.staff


def test_an_invitation_payload_is_short_and_never_a_campaign_code() -> None:
    token = new_token()
    payload = invitation_payload(token)
    assert len(payload) <= 64
    assert token_of(payload) == token
    assert parse_start_code(payload) is None  # campaign codes start lower-case
    assert token_of("soder-kvall") is None
    assert token_of("Join-" + token[:-1]) is None  # cut short
    assert token_of("Join-" + token[:-1] + "!") is None
    assert new_token() != token
    assert token_digest(token) != token and len(token_digest(token)) == 64


def test_a_link_is_used_or_expired() -> None:
    week = NOW + timedelta(days=7)
    assert refusal(None, week, NOW) is None
    assert refusal(NOW, week, NOW) is Refusal.USED
    assert refusal(None, week, week) is Refusal.EXPIRED


def test_an_area_name_is_tidied_or_refused() -> None:
    assert clean_area("  Maria   Torg ") == "Maria Torg"
    assert clean_area("Helsingborg C") == "Helsingborg C"
    assert clean_area("<b>x</b>") is None
    assert clean_area("x" * 41) is None
    assert clean_area("") is None
    assert area_tag("Söder") == area_tag("söder ") != area_tag("Norr")
    assert len(area_tag("Söder")) == 8


def test_the_areas_campaigns_name_each_once() -> None:
    surveys = [
        survey("a", "Söder"),
        survey("b", "söder"),
        survey("c", "Maria Torg"),
        survey("d", None),
    ]
    assert areas_of(surveys) == ["Maria Torg", "Söder"]


def test_a_tip_belongs_to_an_area_by_its_link_or_its_place() -> None:
    box = "area: {west: 18.00, south: 59.30, east: 18.10, north: 59.32}\n"
    surveys = [survey("soder", "Söder", box), survey("torg", "Maria Torg")]

    def tip(**fields: object) -> NewContribution:
        values: dict[str, object] = {"kind": Kind.TIP, "category": "x", "text": "t"}
        return NewContribution(**{**values, **fields})  # type: ignore[arg-type]

    assert contribution_in_area(tip(lat=59.31, lon=18.05), "Söder", surveys)
    assert not contribution_in_area(tip(lat=55.6, lon=13.0), "Söder", surveys)
    assert contribution_in_area(tip(source="torg_fontanen"), "Maria Torg", surveys)
    assert not contribution_in_area(tip(source="torg"), "Söder", surveys)
    assert not contribution_in_area(tip(), "Söder", surveys)  # no link, no place
    assert not contribution_in_area(tip(source="tip_plats"), "Söder", surveys)
