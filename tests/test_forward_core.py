"""What goes to the municipality, and reading what its Open311 endpoint answers (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.forwarding import (
    DESCRIPTION_LIMIT,
    Case,
    Open311Error,
    describe,
    email_message,
    error_text,
    find_reference,
    media_photo,
    media_token,
    open311_form,
    parse_posted,
    parse_services,
    parse_status,
    subject,
)
from core.i18n import Catalogs

NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
SV = Catalogs().get("sv").gettext
KEY = b"k" * 32


def lamp(**changes: object) -> Case:
    values: dict[str, object] = {
        "contribution_id": 12,
        "category": "Belysning",
        "text": "Lampan vid Järnvägsgatan är trasig.",
        "place": "nära Furutorpsplatsen",
        "lat": 56.0395,
        "lon": 12.7001,
        "time_band": "17-20",
        "when": "på kvällen",
        "media_url": "https://torget.example.se/web/media/x.jpg",
        "reported_on": "7 dec. 2026",
    }
    values.update(changes)
    return Case(**values)  # type: ignore[arg-type]


def test_the_description_carries_the_facts_and_torgets_reference_in_swedish() -> None:
    text = describe(lamp(), SV)
    assert text.startswith("Lampan vid Järnvägsgatan är trasig.\n\nKategori: Belysning")
    assert "Plats: nära Furutorpsplatsen" in text
    assert "Position: 56.03950, 12.70010 (WGS 84)" in text
    assert "Rapporterat kl. 17–20 (Purple Flags tidsspann)" in text
    assert "Foto: https://torget.example.se/web/media/x.jpg" in text
    assert text.endswith("Rapporterat via Torget, ärende T-12.")


def test_a_long_text_gives_way_but_the_facts_and_reference_stay() -> None:
    text = describe(lamp(text="mörkt " * 1000), SV)
    assert len(text) == DESCRIPTION_LIMIT
    assert "…\n\nKategori: Belysning" in text and text.endswith("ärende T-12.")


def test_the_subject_names_category_and_place() -> None:
    assert subject(lamp(), SV) == "Felanmälan från Torget: Belysning vid Furutorpsplatsen"
    assert subject(lamp(place=None), SV) == "Felanmälan från Torget: Belysning"


def test_the_open311_form_has_no_personal_field() -> None:
    form = open311_form(lamp(), "belysning", "beskrivning", "key", "helsingborg.se")
    assert form == {
        "api_key": "key",
        "service_code": "belysning",
        "description": "beskrivning",
        "jurisdiction_id": "helsingborg.se",
        "lat": "56.039500",
        "long": "12.700100",
        "media_url": "https://torget.example.se/web/media/x.jpg",
    }
    # Without a position, the place's words are the location GeoReport asks for.
    bare = open311_form(lamp(lat=None, lon=None, media_url=None), "belysning", "b", "key")
    assert bare["address_string"] == "nära Furutorpsplatsen" and "lat" not in bare


def test_the_e_mail_is_a_plain_message_to_the_municipality() -> None:
    message = email_message(lamp(), "beskrivning", "felanmalan@hassleholm.se", "t@x.se", NOW, SV)
    assert message["To"] == "felanmalan@hassleholm.se" and message["From"] == "t@x.se"
    assert message["Subject"] == "Felanmälan från Torget: Belysning vid Furutorpsplatsen"
    assert message.get_content().strip() == "beskrivning"


def test_the_service_list_is_read_defensively() -> None:
    listed = parse_services(
        [
            {"service_code": "001", "service_name": "Gatubelysning", "group": "Gata"},
            {"service_code": "", "service_name": "utan kod"},
            {"service_name": "utan kod alls"},
            "skräp",
            {"service_code": 7, "service_name": "Klotter"},
        ]
    )
    assert [(s.code, s.name) for s in listed] == [("001", "Gatubelysning"), ("7", "Klotter")]
    with pytest.raises(Open311Error):
        parse_services({"error": "nej"})


def test_a_posts_answer_gives_the_id_or_a_token() -> None:
    assert parse_posted([{"service_request_id": 293944}]).service_request_id == "293944"
    posted = parse_posted([{"token": "12345"}])
    assert posted.service_request_id is None and posted.token == "12345"
    with pytest.raises(Open311Error):
        parse_posted([{"service_notice": "tack"}])
    with pytest.raises(Open311Error):
        parse_posted("<html>")


def test_a_status_read_back_is_open_or_closed_with_notes() -> None:
    closed = parse_status(
        [{"service_request_id": "1", "status": "closed", "status_notes": "Bytt"}]
    )
    assert closed.closed and closed.notes == "Bytt"
    assert not parse_status([{"status": "OPEN", "status_notes": None}]).closed
    with pytest.raises(Open311Error):
        parse_status([{"status": "pending"}])
    assert error_text([{"code": 403, "description": "Invalid api_key"}]) == "Invalid api_key"


def test_an_earlier_request_is_found_by_its_reference_line() -> None:
    listed = [
        {"service_request_id": "1", "description": "Rapporterat via Torget, ärende T-120."},
        {"service_request_id": "2", "description": "Lampan\nRapporterat via Torget, ärende T-12."},
    ]
    assert find_reference(listed, "T-12", SV) == "2"
    assert find_reference(listed, "T-9", SV) is None
    assert find_reference({"no": "list"}, "T-12", SV) is None


def test_a_photo_link_is_signed_and_expires() -> None:
    token = media_token(KEY, "u-lamp", NOW + timedelta(days=90))
    assert media_photo(KEY, token, NOW) == "u-lamp"
    assert media_photo(KEY, token, NOW + timedelta(days=91)) is None
    assert media_photo(b"x" * 32, token, NOW) is None  # another deployment's key
    forged = token.replace("u-lamp", "u-other")
    assert media_photo(KEY, forged, NOW) is None
    assert media_photo(KEY, "u-lamp.notanumber.abc", NOW) is None
