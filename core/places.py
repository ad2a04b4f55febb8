"""How a place reads to people: the organizers' nearest spot by name, else coordinates that
cannot be misread.

"48,859, 2,295" is two numbers with decimal commas and a comma between: nobody can tell
where one ends. Residents and organizers read places in a summary, in "My contributions",
in /mydata and on a moderation card, and every one of them reads them as written here.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from babel.support import NullTranslations

from core import i18n
from core.contributions import Place
from core.loop import metres_between

# A shared position within this distance of a place in places.yaml is called "near" it: the
# 100 m grid a position is snapped to moves it by up to about 70 m, and the next street
# corner is still "near Furutorpsplatsen"; two blocks away it is not.
NEAR_METRES = 150.0


def nearest(
    places: Iterable[Place], lat: float, lon: float, within: float = NEAR_METRES
) -> Place | None:
    """The closest of the places, when it is within `within` metres."""
    best: tuple[float, Place] | None = None
    for place in places:
        distance = metres_between(lat, lon, place.lat, place.lon)
        if distance <= within and (best is None or distance < best[0]):
            best = (distance, place)
    return best[1] if best else None


def coordinates(lat: float, lon: float, lang: str, translations: NullTranslations) -> str:
    """'56,0437° N, 12,6946° Ö' in Swedish, '56.0437° N, 12.6946° E' in English.

    The hemisphere letters end each number, so the comma between them cannot be read as a
    decimal comma; four decimals are about ten metres, finer than any stored position.
    """
    _ = translations.gettext
    north = _("{degrees}° N") if lat >= 0 else _("{degrees}° S")
    east = _("{degrees}° E") if lon >= 0 else _("{degrees}° W")
    latitude = north.format(degrees=i18n.degrees(abs(lat), lang))
    longitude = east.format(degrees=i18n.degrees(abs(lon), lang))
    return f"{latitude}, {longitude}"


def describe(
    lat: float,
    lon: float,
    lang: str,
    translations: NullTranslations,
    places: Iterable[Place] = (),
    name: str | None = None,
) -> str:
    """A place as people read it: its own name (a venue, a QR code's place), else "near"
    the closest place of places.yaml, else its coordinates."""
    _ = translations.gettext
    if name:
        return name
    close = nearest(places, lat, lon)
    if close is not None:
        return _("near {place}").format(place=close.name.get(lang))
    return coordinates(lat, lon, lang, translations)


def map_link(lat: float, lon: float) -> str:
    """An OpenStreetMap page with a pin on the place: opens in any browser or map app."""
    query = urlencode({"mlat": f"{lat:.5f}", "mlon": f"{lon:.5f}"})
    return f"https://www.openstreetmap.org/?{query}#map=17/{lat:.5f}/{lon:.5f}"
