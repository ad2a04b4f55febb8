"""Before and after, per place: what residents and walkers reported at a place, what of it was
fixed, and how they answered "Does it feel safer now?" some weeks later.

A place is the named place a tip or finding was tagged with (a QR code's, a walk's stop), else
its name, else the square of about PLACE_METRES it lies in. Pure counting here; the web view
reads the contributions (area-limited) and the answers, and draws the table and bars.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from core.contributions import Contribution, Kind, Place, Status
from core.loop import SaferAnswer
from core.places import nearest
from core.privacy import snap

PLACE_METRES = 50.0
# Reported at a place: what was not hidden or a copy of another one.
NOT_COUNTED = frozenset({Status.HIDDEN, Status.DUPLICATE})
SAFETY_KINDS = frozenset({Kind.TIP, Kind.FINDING})


@dataclass
class PlaceLoop:
    """One place's before and after."""

    key: str  # "tag:stortorget", "name:Järnvägsgatan", "square:56.04320,12.69400"
    name: str | None  # the place's name; None for a square (its middle: lat, lon)
    lat: float | None = None
    lon: float | None = None
    reported: int = 0  # tips and findings there
    fixed: int = 0  # of them, marked fixed
    answers: dict[SaferAnswer, int] = field(default_factory=dict)

    @property
    def answered(self) -> int:
        return sum(self.answers.values())

    def share(self, answer: SaferAnswer) -> float:
        """The answer's part of all answers given here, 0..1."""
        return self.answers.get(answer, 0) / self.answered if self.answered else 0.0


def place_of(
    item: Contribution,
    metres: float = PLACE_METRES,
    known: Sequence[Place] = (),
    lang: str = "sv",
) -> tuple[str, str | None, float | None, float | None] | None:
    """Where a tip or finding counts: (key, name, lat, lon); None without a place at all. A
    shared position near one of places.yaml's places counts there, as the card calls it
    "near Furutorpsplatsen": the partnership acts, and asks, per place it knows."""
    if item.place_tag:
        return f"tag:{item.place_tag}", item.place_name or item.place_tag, item.lat, item.lon
    if item.place_name:
        return f"name:{item.place_name.strip().casefold()}", item.place_name, item.lat, item.lon
    if item.lat is None or item.lon is None:
        return None
    close = nearest(known, item.lat, item.lon)
    if close is not None:
        return f"tag:{close.id}", close.name.get(lang), close.lat, close.lon
    lat, lon = snap(item.lat, item.lon, metres)
    return f"square:{lat:.5f},{lon:.5f}", None, lat, lon


def before_after(
    items: Iterable[Contribution],
    answers: Mapping[int, Mapping[SaferAnswer, int]],
    metres: float = PLACE_METRES,
    known: Sequence[Place] = (),
    lang: str = "sv",
) -> list[PlaceLoop]:
    """Each place with a tip or finding, the most fixed first (then the most reported, then
    by name), with the "feels safer" answers about its contributions."""
    places: dict[str, PlaceLoop] = {}
    for item in items:
        if item.kind not in SAFETY_KINDS or item.status in NOT_COUNTED:
            continue
        where = place_of(item, metres, known, lang)
        if where is None:
            continue
        key, name, lat, lon = where
        place = places.setdefault(key, PlaceLoop(key, name, lat, lon))
        place.reported += 1
        if item.status is Status.FIXED:
            place.fixed += 1
        for answer, count in answers.get(item.id, {}).items():
            place.answers[answer] = place.answers.get(answer, 0) + count
    return sorted(
        places.values(),
        key=lambda p: (-p.fixed, -p.reported, (p.name or "~").casefold(), p.key),
    )
