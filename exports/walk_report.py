"""A safety walk's report for the follow-up meeting: a PDF to print, a workbook, a map.

The trygghetsvandring method's second meeting goes through the walk point by point: every
finding in route order with its photo, place, category, unsafe or good, the stop's audit
scores and who reported it (a short pseudonym), and what is to be done: status, who is
responsible, priority and deadline. At the next walk of the same title, months later, the
report also shows the last walk's findings with today's status and what residents answered
to "Känns det tryggare nu?", then day against night (Purple Flag's time bands; no band is
daytime) and the findings by Purple Flag theme.

The PDF (fpdf2, A4) is written with DejaVu Sans, shipped in exports/fonts/, so that å, ä, ö,
– and ° come out right; the workbook (XlsxWriter) has a row per finding with every field, the
audits per stop and walker and the last walk's progress; the GeoPackage (fudgeo) a point layer
of the findings with their photos (exports/gpkg_media.py) and one of the stops with their
audit means. Every word is the organizer's language, through the translator given.
"""

from __future__ import annotations

import asyncio
import gettext
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from core import i18n
from core.contributions import STATUS_LABELS, Contribution, Place, Status
from core.export import photo_file
from core.loop import (
    STOCKHOLM,
    Judgement,
    Priority,
    Responsible,
    SaferAnswer,
    Theme,
    TimeBand,
    time_band,
)
from core.places import describe
from core.says import N_
from core.survey import Text
from core.walks import (
    AUDIT_LABELS,
    WALK_CATEGORY_LABELS,
    Audit,
    AuditParameter,
    Walk,
    WalkCategory,
    audit_means,
)
from storage.walk_reads import WalkReads

Format = Literal["pdf", "xlsx", "gpkg"]
REPORT_FORMATS: tuple[Format, ...] = ("pdf", "xlsx", "gpkg")
FONTS = Path(__file__).resolve().parent / "fonts"
# A reporter is named by the start of their pseudonym: enough to tell the walkers apart in
# the meeting, never who they are.
SHORT_PSEUDONYM = 8

RESPONSIBLE_LABELS: dict[Responsible, str] = {
    Responsible.MUNICIPALITY: N_("the municipality"),
    Responsible.PROPERTY_OWNER: N_("the property owner"),
    Responsible.POLICE: N_("the police"),
    Responsible.PARTNERSHIP: N_("the partnership"),
}
PRIORITY_LABELS: dict[Priority, str] = {
    Priority.HIGH: N_("high"),
    Priority.MEDIUM: N_("medium"),
    Priority.LOW: N_("low"),
}
JUDGEMENT_LABELS: dict[Judgement, str] = {
    Judgement.UNSAFE: N_("unsafe"),
    Judgement.GOOD: N_("good"),
}
THEME_LABELS: dict[Theme, str] = {
    Theme.WELLBEING: N_("Wellbeing and safety"),
    Theme.MOVEMENT: N_("Getting there, around and home"),
    Theme.APPEAL: N_("A varied offer"),
    Theme.PLACE: N_("The place's design"),
    Theme.POLICY: N_("Policy and partnership"),
}
SAFER_LABELS: dict[SaferAnswer, str] = {
    SaferAnswer.YES: N_("yes"),
    SaferAnswer.SOMEWHAT: N_("somewhat"),
    SaferAnswer.NO: N_("no"),
    SaferAnswer.NOT_FIXED: N_("not fixed"),
}
BANDS: tuple[TimeBand | None, ...] = (None, *TimeBand)


class WalkReportSource(WalkReads, Protocol):
    """What a report reads: the walk's rooms, and the photos (the store is one)."""

    async def photo_bytes(self, unique_id: str) -> bytes | None: ...


@dataclass(frozen=True)
class WalkReport:
    """Everything a report shows, read once, then written in any format."""

    walk: Walk
    findings: list[Contribution]  # route order, hidden ones left out
    audits: list[Audit]
    walkers: int
    photos: dict[str, bytes]  # by unique id: the photos stored so far
    previous: Walk | None = None  # the last walk of the same title before this one
    previous_findings: list[Contribution] = field(default_factory=list)
    safer: dict[int, dict[SaferAnswer, int]] = field(default_factory=dict)

    def stop_audits(self, stop: int | None) -> list[Audit]:
        return [audit for audit in self.audits if audit.stop == stop]

    def bands(self) -> list[TimeBand | None]:
        """The time bands the walk went through (its start, its findings, its audits)."""
        seen = {time_band(self.walk.started_at)}
        seen.update(item.time_band for item in self.findings)
        seen.update(time_band(a.created_at) for a in self.audits if a.created_at is not None)
        return [band for band in BANDS if band in seen]


async def read_report(source: WalkReportSource, walk_id: int) -> WalkReport | None:
    """Read what the report of a walk shows; None when there is no such walk."""
    walk = await source.get_walk(walk_id)
    if walk is None:
        return None
    findings = _shown(await source.walk_findings(walk_id))
    audits = await source.walk_audits(walk_id)
    walkers = len(await source.walk_walkers(walk_id))
    previous = next(
        (
            other
            for other in await source.list_walks(walk.title)
            if other.id != walk.id and (other.started_at, other.id) < (walk.started_at, walk.id)
        ),
        None,
    )
    earlier = _shown(await source.walk_findings(previous.id)) if previous else []
    safer = await source.safer_counts([item.id for item in (*findings, *earlier)])
    photos: dict[str, bytes] = {}
    for item in findings:
        unique_id = item.photo_unique_id
        if unique_id and unique_id not in photos:
            data = await source.photo_bytes(unique_id)
            if data is not None:
                photos[unique_id] = data
    return WalkReport(walk, findings, audits, walkers, photos, previous, earlier, safer)


def _shown(findings: Iterable[Contribution]) -> list[Contribution]:
    # A hidden finding (personal data, offensive) is not printed for a meeting.
    return [item for item in findings if item.status is not Status.HIDDEN]


async def write_walk_report(
    source: WalkReportSource,
    walk_id: int,
    fmt: Format,
    folder: Path,
    lang: str,
    translator: gettext.NullTranslations,
) -> Path | None:
    """Write the walk's report in `fmt` into `folder`, in `lang`; its path, or None when
    there is no such walk."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown walk report format {fmt!r} (choose pdf, xlsx or gpkg)")
    report = await read_report(source, walk_id)
    if report is None:
        return None
    path = folder / report_name(report.walk, fmt)
    words = Words(lang, translator)
    writer = {"pdf": write_pdf, "xlsx": write_xlsx, "gpkg": write_gpkg}[fmt]

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        writer(report, words, path)

    # Writing is CPU and disk, not waiting: off the event loop, so the bot goes on answering.
    await asyncio.to_thread(write)
    return path


def report_name(walk: Walk, fmt: str) -> str:
    """walk-3-soder-kvall-2026-12-01.pdf: which walk, readable, safe on every system."""
    ascii_title = unicodedata.normalize("NFKD", walk.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40] or "walk"
    day = walk.started_at.astimezone(STOCKHOLM).date().isoformat()
    return f"walk-{walk.id}-{slug}-{day}.{fmt}"


class Words:
    """The report's words in the organizer's language."""

    def __init__(self, lang: str, translator: gettext.NullTranslations) -> None:
        self.lang = lang
        self._ = translator.gettext
        self.ngettext = translator.ngettext
        self.translator = translator

    def category(self, value: str) -> str:
        try:
            return self._(WALK_CATEGORY_LABELS[WalkCategory(value)])
        except ValueError:
            return value

    def judgement(self, value: Judgement | None) -> str:
        return self._(JUDGEMENT_LABELS[value]) if value else ""

    def status(self, value: Status) -> str:
        return self._(STATUS_LABELS[value])

    def responsible(self, value: Responsible | None) -> str:
        return self._(RESPONSIBLE_LABELS[value]) if value else ""

    def priority(self, value: Priority | None) -> str:
        return self._(PRIORITY_LABELS[value]) if value else ""

    def theme(self, value: Theme) -> str:
        return self._(THEME_LABELS[value])

    def themes(self, values: Sequence[Theme]) -> str:
        return ", ".join(self.theme(value) for value in values)

    def band(self, value: TimeBand | None) -> str:
        if value is None:
            return self._("Daytime")
        start, end = value.value.split("-")
        return self._("{start}–{end}").format(start=start, end=end)

    def parameter(self, value: AuditParameter) -> str:
        return self._(AUDIT_LABELS[value])

    def safer(self, value: SaferAnswer) -> str:
        return self._(SAFER_LABELS[value])

    def safer_counts(self, counts: dict[SaferAnswer, int] | None) -> str:
        if not counts:
            return self._("no answers yet")
        return ", ".join(
            f"{self.safer(answer)} {counts[answer]}" for answer in SaferAnswer if answer in counts
        )

    def number(self, value: float) -> str:
        return i18n.number(round(value, 1), self.lang)

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return i18n.day(value, self.lang)
        return i18n.day(
            datetime(value.year, value.month, value.day, 12, tzinfo=STOCKHOLM), self.lang
        )

    def when(self, value: datetime) -> str:
        return i18n.when(value, self.lang)

    def place(self, item: Contribution, walk: Walk | None = None) -> str:
        """Its place's own name, else "near" the closest stop of the walk's route (within
        core.places.NEAR_METRES), else its coordinates."""
        if item.place_name:
            return item.place_name
        if item.lat is not None and item.lon is not None:
            translator: Any = self.translator
            return describe(item.lat, item.lon, self.lang, translator, _stops(walk))
        return self._("no place shared")

    def titled(self, number: int, item: Contribution, walk: Walk | None) -> str:
        """ "2. Lighting – Järnvägsgatan": a finding in a list, with its place when it has one."""
        where = self.place(item, walk) if item.place_name or item.lat is not None else ""
        category = self.category(item.category)
        return f"{number}. {category} – {where}" if where else f"{number}. {category}"

    def stop(self, walk: Walk, stop: int | None) -> str:
        if stop is None or not 0 <= stop < len(walk.route):
            return self._("between stops")
        return self._("Stop {number}: {name}").format(number=stop + 1, name=walk.route[stop].name)

    def means(self, means: dict[AuditParameter, float]) -> str:
        return ", ".join(
            f"{self.parameter(p)} {self.number(means[p])}" for p in AuditParameter if p in means
        )


def _stops(walk: Walk | None) -> list[Place]:
    """The route's stops with a position, as places a finding can be "near"."""
    stops: list[Place] = []
    for index, stop in enumerate(walk.route if walk else ()):
        if stop.lat is None or stop.lon is None or not stop.name.strip():
            continue
        try:
            name = Text(sv=stop.name, en=stop.name)
            stops.append(Place(id=f"stop-{index}", name=name, lat=stop.lat, lon=stop.lon))
        except ValueError:  # a position out of range: the stop is no place to be near
            continue
    return stops


def short(pseudonym: str) -> str:
    return pseudonym[:SHORT_PSEUDONYM]


# ---- the PDF ------------------------------------------------------------------------------
PAGE_WIDTH = 180  # mm between A4's margins of 15 mm
PHOTO_WIDTH = 80
PHOTO_MAX_HEIGHT = 90
# A photo is printed 80 mm wide: 200 dpi is sharp on paper, and a phone's full picture in a
# PDF of a long walk (300 photos) would be 90 MB, more than Telegram lets a bot send.
PRINT_DPI = 200
PRINT_QUALITY = 80


def write_pdf(report: WalkReport, words: Words, path: Path) -> None:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    _, walk = words._, report.walk
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(walk.title)
    pdf.set_lang(words.lang)
    pdf.set_creator("Torget")

    def heading(text: str, size: int = 14) -> None:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(0, size * 0.5, _clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
        pdf.set_font("DejaVu", "", 10)

    def line(text: str, bold: bool = False) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", 10)
        pdf.multi_cell(0, 5, _clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 10)

    def pair(label: str, value: str) -> None:
        if value:
            line(f"{label}: {value}")

    # The title page's block.
    pdf.add_page()
    heading(walk.title, 20)
    line(_("Safety walk report"), bold=True)
    pdf.ln(2)
    pair(_("Date"), words.day(walk.started_at))
    started = walk.started_at.astimezone(STOCKHOLM).strftime("%H:%M")
    ended = walk.ended_at.astimezone(STOCKHOLM).strftime("%H:%M") if walk.ended_at else ""
    pair(_("Time (Stockholm)"), f"{started}–{ended}" if ended else started)
    pair(_("Time bands"), ", ".join(words.band(band) for band in report.bands()))
    if walk.route:
        pair(_("Route"), " → ".join(stop.name for stop in walk.route))
    # "Walkers: 3" rather than "Walkers: 3 walkers": the label already names what is counted.
    pair(_("Walkers"), str(report.walkers))
    pair(_("Findings"), str(len(report.findings)))
    for category, unsafe, good in _by_category(report.findings):
        line(
            "  • "
            + _("{category}: unsafe {unsafe}, good {good}").format(
                category=words.category(category), unsafe=unsafe, good=good
            )
        )

    # Every finding in route order.
    heading(_("Findings in route order"), 16)
    if not report.findings:
        line(_("No findings were recorded on this walk."))
    for number, item in enumerate(report.findings, start=1):
        if pdf.get_y() > 230:
            pdf.add_page()
        heading(
            f"{number}. {words.category(item.category)} – {words.judgement(item.judgement)}"
            if item.judgement
            else f"{number}. {words.category(item.category)}",
            12,
        )
        line(words.stop(walk, item.stop))
        pair(_("Place"), words.place(item, walk))
        if item.text:
            line(item.text)
        _photo(pdf, report, item, words)
        means = audit_means(report.stop_audits(item.stop)) if item.stop is not None else {}
        pair(_("Audit at the stop"), words.means(means))
        pair(_("Status"), words.status(item.status))
        if item.status_reason:
            pair(_("Reason"), item.status_reason)
        pair(_("Responsible"), words.responsible(item.responsible))
        pair(_("Priority"), words.priority(item.priority))
        pair(_("Deadline"), words.day(item.deadline))
        pair(_("Themes"), words.themes(item.themes))
        pair(_("Time band"), words.band(item.time_band))
        if item.voices:
            pair(_("Me too"), str(item.voices))
        pair(_("Reported by"), short(item.pseudonym))

    # Since the last walk of the same title.
    pdf.add_page()
    heading(_("Since the last walk"), 16)
    if report.previous is None:
        line(_("This is the first walk with this title."))
    else:
        line(
            _(
                "The last walk “{title}” was on {day}: its findings and where they stand today."
            ).format(title=report.previous.title, day=words.day(report.previous.started_at))
        )
        if not report.previous_findings:
            line(_("No findings were recorded on that walk."))
        for number, item in enumerate(report.previous_findings, start=1):
            heading(words.titled(number, item, report.previous), 11)
            line(words.stop(report.previous, item.stop))
            if item.text:
                line(item.text)
            pair(_("Status today"), words.status(item.status))
            if item.status_reason:
                pair(_("Reason"), item.status_reason)
            pair(_("Responsible"), words.responsible(item.responsible))
            line(
                _("Feels safer now? {answers}").format(
                    answers=words.safer_counts(report.safer.get(item.id))
                )
            )
        done = sum(1 for item in report.previous_findings if item.status is Status.FIXED)
        line(
            words.ngettext(
                "{done} of {count} finding is fixed.",
                "{done} of {count} findings are fixed.",
                len(report.previous_findings),
            ).format(done=done, count=len(report.previous_findings)),
            bold=True,
        )

    # Day and night.
    heading(_("Day and night"), 16)
    for band, items, audits in _by_band(report):
        unsafe = sum(1 for item in items if item.judgement is Judgement.UNSAFE)
        heading(words.band(band), 11)
        line(
            words.ngettext("{count} finding", "{count} findings", len(items)).format(
                count=len(items)
            )
            + " · "
            + _("unsafe {unsafe}, good {good}").format(unsafe=unsafe, good=len(items) - unsafe)
        )
        pair(_("Audit means"), words.means(audit_means(audits)))

    # By Purple Flag theme.
    heading(_("By Purple Flag theme"), 16)
    for theme, items in _by_theme(report.findings):
        heading(words.theme(theme) if theme else _("No theme yet"), 11)
        for item in items:
            number = report.findings.index(item) + 1
            line(words.titled(number, item, walk))

    pdf.output(str(path))


def _photo(pdf: Any, report: WalkReport, item: Contribution, words: Words) -> None:
    _ = words._
    if not item.photo_unique_id:
        return
    data = report.photos.get(item.photo_unique_id)
    if data is None:
        pdf.multi_cell(0, 5, _("(photo not downloaded yet)"), new_x="LMARGIN", new_y="NEXT")
        return
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            shown = float(PHOTO_WIDTH)
            if height * shown / max(width, 1) > PHOTO_MAX_HEIGHT:
                shown = PHOTO_MAX_HEIGHT * width / max(height, 1)
            pixels = round(shown / 25.4 * PRINT_DPI)
            printed = io.BytesIO()
            image.thumbnail((pixels, round(pixels * height / max(width, 1))))
            image.convert("RGB").save(printed, "JPEG", quality=PRINT_QUALITY)
        if pdf.get_y() + height * shown / max(width, 1) > pdf.h - 20:
            pdf.add_page()
        pdf.image(printed, w=shown)
        pdf.ln(1)
    except Exception:  # a damaged picture must not cost the whole report
        pdf.multi_cell(0, 5, _("(the photo could not be read)"), new_x="LMARGIN", new_y="NEXT")


# Characters DejaVu Sans has no glyph for (emoji above all) are left out of the PDF rather
# than printed as empty boxes.
_NO_GLYPH = re.compile("[\U0001f000-\U0001faff\U00002600-\U000027bf\ufe0f\u200d]")


def _clean(text: str) -> str:
    return _NO_GLYPH.sub("", text)


def _by_category(findings: Sequence[Contribution]) -> list[tuple[str, int, int]]:
    counts: dict[str, list[int]] = {}
    for item in findings:
        tally = counts.setdefault(item.category, [0, 0])
        tally[1 if item.judgement is Judgement.GOOD else 0] += 1
    order = {category.value: index for index, category in enumerate(WalkCategory)}
    return [
        (category, unsafe, good)
        for category, (unsafe, good) in sorted(
            counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])
        )
    ]


def _by_band(
    report: WalkReport,
) -> list[tuple[TimeBand | None, list[Contribution], list[Audit]]]:
    """Findings and audits per time band (None: daytime), the bands that have either."""
    grouped = []
    for band in BANDS:
        items = [item for item in report.findings if item.time_band == band]
        audits = [
            audit
            for audit in report.audits
            if audit.created_at is not None and time_band(audit.created_at) == band
        ]
        if items or audits:
            grouped.append((band, items, audits))
    return grouped


def _by_theme(findings: Sequence[Contribution]) -> list[tuple[Theme | None, list[Contribution]]]:
    """Findings per Purple Flag theme (one finding may have several), then those with none."""
    grouped: list[tuple[Theme | None, list[Contribution]]] = []
    for theme in Theme:
        items = [item for item in findings if theme in item.themes]
        if items:
            grouped.append((theme, items))
    untagged = [item for item in findings if not item.themes]
    if untagged:
        grouped.append((None, untagged))
    return grouped


# ---- the workbook -------------------------------------------------------------------------
def finding_columns(
    words: Words,
) -> list[tuple[str, Callable[[WalkReport, int, Contribution], Any]]]:
    """The findings sheet's columns: a heading in the organizer's language and its value."""
    _ = words._
    walk_of: Callable[[WalkReport], Walk] = lambda report: report.walk  # noqa: E731

    def means(report: WalkReport, item: Contribution) -> dict[AuditParameter, float]:
        return audit_means(report.stop_audits(item.stop)) if item.stop is not None else {}

    columns: list[tuple[str, Callable[[WalkReport, int, Contribution], Any]]] = [
        (_("Number"), lambda r, n, i: n),
        (_("Finding"), lambda r, n, i: i.id),
        (_("Stop"), lambda r, n, i: words.stop(walk_of(r), i.stop)),
        (_("Category"), lambda r, n, i: words.category(i.category)),
        (_("Unsafe or good"), lambda r, n, i: words.judgement(i.judgement)),
        (_("Text"), lambda r, n, i: i.text),
        (_("Place"), lambda r, n, i: words.place(i, walk_of(r))),
        (_("Latitude"), lambda r, n, i: i.lat),
        (_("Longitude"), lambda r, n, i: i.lon),
        (_("Photo"), lambda r, n, i: photo_file(i.photo_unique_id) if i.photo_unique_id else None),
        (_("Voice note"), lambda r, n, i: _("yes") if i.voice_unique_id else None),
        (_("Status"), lambda r, n, i: words.status(i.status)),
        (_("Reason"), lambda r, n, i: i.status_reason),
        (_("Duplicate of"), lambda r, n, i: i.duplicate_of),
        (_("Forwarded to"), lambda r, n, i: i.forwarded_to),
        (_("Responsible"), lambda r, n, i: words.responsible(i.responsible)),
        (_("Priority"), lambda r, n, i: words.priority(i.priority)),
        (_("Deadline"), lambda r, n, i: i.deadline),
        (_("Time band"), lambda r, n, i: words.band(i.time_band)),
        (_("Themes"), lambda r, n, i: words.themes(i.themes)),
        (_("Me too"), lambda r, n, i: i.voices),
        *[
            (
                _("Feels safer: {answer}").format(answer=words.safer(answer)),
                (lambda a: lambda r, n, i: r.safer.get(i.id, {}).get(a, 0))(answer),
            )
            for answer in SaferAnswer
        ],
        *[
            (
                _("Audit: {parameter}").format(parameter=words.parameter(parameter)),
                (lambda p: lambda r, n, i: means(r, i).get(p))(parameter),
            )
            for parameter in AuditParameter
        ],
        (_("Reported by"), lambda r, n, i: short(i.pseudonym)),
        (_("Sent"), lambda r, n, i: i.created_at.astimezone(STOCKHOLM)),
    ]
    return columns


def write_xlsx(report: WalkReport, words: Words, path: Path) -> None:
    import xlsxwriter

    _, walk = words._, report.walk
    book = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#EDE7F6", "bottom": 1}),
        "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "day": book.add_format({"num_format": "yyyy-mm-dd"}),
    }

    def sheet(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        page = book.add_worksheet(_sheet_name(name))
        for column, title in enumerate(header):
            page.write_string(0, column, title, formats["header"])
        count = 0
        for count, values in enumerate(rows, start=1):
            for column, value in enumerate(values):
                _cell(page, count, column, value, formats)
        page.freeze_panes(1, 0)
        page.set_column(0, max(len(header) - 1, 0), 16)
        page.autofilter(0, 0, count, max(len(header) - 1, 0))

    try:
        sheet(
            _("Walk"),
            [
                _("Title"),
                _("Date"),
                _("Start time"),
                _("End time"),
                _("Time bands"),
                _("Route"),
                _("Walkers"),
                _("Findings"),
            ],
            [
                [
                    walk.title,
                    words.day(walk.started_at),
                    walk.started_at.astimezone(STOCKHOLM),
                    walk.ended_at.astimezone(STOCKHOLM) if walk.ended_at else None,
                    ", ".join(words.band(band) for band in report.bands()),
                    " → ".join(stop.name for stop in walk.route),
                    report.walkers,
                    len(report.findings),
                ]
            ],
        )
        columns = finding_columns(words)
        sheet(
            _("Findings"),
            [title for title, _value in columns],
            (
                [value(report, number, item) for _title, value in columns]
                for number, item in enumerate(report.findings, start=1)
            ),
        )
        sheet(
            _("Audits"),
            [
                _("Stop"),
                _("Walker"),
                _("Time band"),
                *(words.parameter(p) for p in AuditParameter),
            ],
            (
                [
                    words.stop(walk, audit.stop),
                    short(audit.pseudonym),
                    words.band(time_band(audit.created_at)) if audit.created_at else None,
                    *(audit.scores.get(p) for p in AuditParameter),
                ]
                for audit in report.audits
            ),
        )
        previous = report.previous
        sheet(
            _("Since the last walk"),
            [
                _("Walk"),
                _("Date"),
                _("Number"),
                _("Finding"),
                _("Stop"),
                _("Category"),
                _("Text"),
                _("Place"),
                _("Status today"),
                _("Reason"),
                _("Responsible"),
                *(_("Feels safer: {answer}").format(answer=words.safer(a)) for a in SaferAnswer),
            ],
            (
                [
                    previous.title,
                    words.day(previous.started_at),
                    number,
                    item.id,
                    words.stop(previous, item.stop),
                    words.category(item.category),
                    item.text,
                    words.place(item, previous),
                    words.status(item.status),
                    item.status_reason,
                    words.responsible(item.responsible),
                    *(report.safer.get(item.id, {}).get(a, 0) for a in SaferAnswer),
                ]
                for number, item in enumerate(report.previous_findings, start=1)
                if previous is not None
            ),
        )
    finally:
        book.close()


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "-", name)[:31]


def _cell(page: Any, row: int, column: int, value: Any, formats: dict[str, Any]) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        page.write_boolean(row, column, value)
    elif isinstance(value, int | float):
        page.write_number(row, column, value)
    elif isinstance(value, datetime):
        page.write_datetime(row, column, value.replace(tzinfo=None), formats["time"])
    elif isinstance(value, date):
        page.write_datetime(
            row, column, datetime(value.year, value.month, value.day), formats["day"]
        )
    else:
        # write_string, never write(): "=1+1" stays the text a walker wrote.
        page.write_string(row, column, str(value))


# ---- the GeoPackage -----------------------------------------------------------------------
FINDINGS_LAYER = "findings"
STOPS_LAYER = "stops"
FINDING_FIELDS: list[tuple[str, str]] = [
    ("number", "integer"),
    ("finding", "integer"),
    ("walk", "integer"),
    ("walk_title", "text"),
    ("stop", "integer"),
    ("stop_name", "text"),
    ("category", "text"),
    ("category_label", "text"),
    ("judgement", "text"),
    ("text", "text"),
    ("place", "text"),
    ("photo", "text"),
    ("status", "text"),
    ("status_label", "text"),
    ("status_reason", "text"),
    ("responsible", "text"),
    ("priority", "text"),
    ("deadline", "text"),
    ("time_band", "text"),
    ("themes", "text"),
    ("voices", "integer"),
    *((f"safer_{answer.value}", "integer") for answer in SaferAnswer),
    *((f"audit_{parameter.value}", "real") for parameter in AuditParameter),
    ("reporter", "text"),
    ("sent", "text"),
]
STOP_FIELDS: list[tuple[str, str]] = [
    ("stop", "integer"),
    ("name", "text"),
    ("audits", "integer"),
    ("findings", "integer"),
    *((f"audit_{parameter.value}", "real") for parameter in AuditParameter),
]


def write_gpkg(report: WalkReport, words: Words, path: Path) -> None:
    from fudgeo.enumeration import FieldType, GeometryType
    from fudgeo.geometry import Point
    from fudgeo.geopkg import Field, GeoPackage, SpatialReferenceSystem

    from exports.geo import DECIMALS, WGS84_WKT
    from exports.gpkg_media import Media

    walk = report.walk
    path.unlink(missing_ok=True)
    package = GeoPackage.create(path)
    srs = SpatialReferenceSystem("WGS 84", "EPSG", 4326, WGS84_WKT)
    types = {"integer": FieldType.integer, "real": FieldType.real, "text": FieldType.text}

    def layer(name: str, fields: Sequence[tuple[str, str]]) -> str:
        made = package.create_feature_class(
            name,
            srs=srs,
            shape_type=GeometryType.point,
            fields=[Field(column, types[kind]) for column, kind in fields],
        )
        columns = ", ".join(f'"{column}"' for column in ["fid", "SHAPE", *(n for n, _k in fields)])
        marks = ", ".join("?" * (len(fields) + 2))
        return f"INSERT INTO {made.escaped_name} ({columns}) VALUES ({marks})"

    def point(lat: float, lon: float) -> Any:
        return Point(x=round(lon, DECIMALS), y=round(lat, DECIMALS), srs_id=4326)

    connection = package.connection
    try:
        insert = layer(FINDINGS_LAYER, FINDING_FIELDS)
        media = Media(package)
        media.add_layer(FINDINGS_LAYER)
        fid = 0
        for number, item in enumerate(report.findings, start=1):
            if item.lat is None or item.lon is None:
                continue
            fid += 1
            means = audit_means(report.stop_audits(item.stop)) if item.stop is not None else {}
            safer = report.safer.get(item.id, {})
            stop_name = (
                walk.route[item.stop].name
                if item.stop is not None and 0 <= item.stop < len(walk.route)
                else None
            )
            values = {
                "number": number,
                "finding": item.id,
                "walk": walk.id,
                "walk_title": walk.title,
                "stop": item.stop + 1 if item.stop is not None else None,
                "stop_name": stop_name,
                "category": item.category,
                "category_label": words.category(item.category),
                "judgement": item.judgement.value if item.judgement else None,
                "text": item.text,
                "place": words.place(item, walk),
                "photo": photo_file(item.photo_unique_id) if item.photo_unique_id else None,
                "status": item.status.value,
                "status_label": words.status(item.status),
                "status_reason": item.status_reason,
                "responsible": item.responsible.value if item.responsible else None,
                "priority": item.priority.value if item.priority else None,
                "deadline": item.deadline.isoformat() if item.deadline else None,
                "time_band": item.time_band.value if item.time_band else None,
                "themes": " ".join(theme.value for theme in item.themes) or None,
                "voices": item.voices,
                **{f"safer_{a.value}": safer.get(a, 0) for a in SaferAnswer},
                **{f"audit_{p.value}": means.get(p) for p in AuditParameter},
                "reporter": short(item.pseudonym),
                "sent": item.created_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M"),
            }
            connection.execute(
                insert,
                (fid, point(item.lat, item.lon), *(values[name] for name, _k in FINDING_FIELDS)),
            )
            if item.photo_unique_id and item.photo_unique_id in report.photos:
                media.keep(item.photo_unique_id, report.photos[item.photo_unique_id])
                media.relate(FINDINGS_LAYER, fid, (item.photo_unique_id,))
        media.flush()
        insert = layer(STOPS_LAYER, STOP_FIELDS)
        for index, stop in enumerate(walk.route):
            if stop.lat is None or stop.lon is None:
                continue
            audits = report.stop_audits(index)
            means = audit_means(audits)
            found = sum(1 for item in report.findings if item.stop == index)
            connection.execute(
                insert,
                (
                    index + 1,
                    point(stop.lat, stop.lon),
                    index + 1,
                    stop.name,
                    len(audits),
                    found,
                    *(means.get(p) for p in AuditParameter),
                ),
            )
        connection.commit()
    finally:
        connection.close()
