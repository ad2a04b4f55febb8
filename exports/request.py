"""What an export is asked for: the format, the campaigns, the file, and how private."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.export import FORMATS, PSEUDONYMOUS, Privacy
from core.survey import Survey
from core.versions import History


@dataclass(frozen=True)
class Request:
    format: str
    surveys: Sequence[Survey]
    out: Path
    privacy: Privacy = PSEUDONYMOUS
    grid: float | None = None  # metres, for maps (geojson, gpkg)
    long: bool = False  # csv: one row per answer
    contributions: bool = False  # csv: the ideas and tips instead of the answers
    # A zip of the export file and a photos/ folder with every photo its rows name.
    photos: bool = False
    # Every stored version of each campaign (Campaigns.versions), so that each response is
    # read against the version it was answered on; a campaign missing here has one version.
    versions: Mapping[str, Mapping[int, Survey]] = field(default_factory=dict)

    def histories(self) -> list[History]:
        """The campaigns asked for, each with its versions, in the order asked."""
        return [
            History(self.versions[survey.id])
            if self.versions.get(survey.id)
            else History.single(survey)
            for survey in self.surveys
        ]

    def problem(self) -> str | None:
        """What is wrong with the request, in words for the person who asked."""
        if self.format not in FORMATS:
            return f"unknown format '{self.format}' (choose {', '.join(FORMATS)})"
        if self.grid is not None and self.format not in ("geojson", "gpkg"):
            return "--grid makes maps: use it with geojson or gpkg"
        if self.grid is not None and self.grid <= 0:
            return "--grid takes a cell size in metres above 0"
        if (self.long or self.contributions) and self.format != "csv":
            return "--long and --contributions are for csv (the other formats hold both)"
        if self.photos and self.grid is not None:
            return "--grid makes maps to publish: they carry no photos (leave out --photos)"
        return None

    @property
    def written(self) -> Path:
        """The file the person gets: the zip with --photos, else the export itself."""
        if self.photos:
            return self.out.with_suffix(".zip")
        return self.out.with_suffix(".gpkg") if self.format == "gpkg" else self.out
