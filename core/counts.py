"""Every interface text that holds a count, in one language.

Swedish and English both change their words with the number ("1 idé", "2 idéer"), so each
count goes through ngettext, or uses a form that stays right for any number ("Skickat: 3").
Numbers are written as the language writes them (3 650 in Swedish). Keeping these texts in
one place lets tests/test_counts.py render each one with 0, 1, 2 and a large number.

Values that are not counts (titles) arrive ready for the front end: the caller escapes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.support import NullTranslations

from core import i18n
from core.versions import version_list

if TYPE_CHECKING:
    from core.stats import QuestionStats
    from core.versions import History


class Counts:
    """The count texts of one language."""

    def __init__(self, translations: NullTranslations, lang: str) -> None:
        self.lang = lang
        self._ = translations.gettext
        self.ngettext = translations.ngettext

    def number(self, value: float) -> str:
        return i18n.number(value, self.lang)

    def _counted(self, text: str, count: int) -> str:
        # The texts are written out at each call, in ngettext, so that extraction finds them.
        return text.format(count=self.number(count))

    # ---- organizers: campaigns and results ----
    def responses(self, started: int, complete: int) -> str:
        """Under a campaign in /campaigns: how many responses, how many of them complete."""
        if not started:
            return self._("No responses yet.")
        # Two counts, each with its own plural: the words of one must not follow the other.
        return self._("{responses}, {complete}").format(
            responses=self._counted(
                self.ngettext("{count} response", "{count} responses", started), started
            ),
            complete=self._complete(complete),
        )

    def started(self, started: int, complete: int, rate: float) -> str:
        """The first line of /stats: responses started, how many are complete, the share."""
        return self._("{started}, {complete} ({rate})").format(
            started=self._counted(
                self.ngettext("{count} started", "{count} started", started), started
            ),
            complete=self._complete(complete),
            rate=i18n.percent(rate, self.lang),
        )

    def on_version(self, count: int, version: int) -> str:
        """In /stats: how many responses were begun on one version of the campaign."""
        return self.ngettext(
            "{count} response on version {version}",
            "{count} responses on version {version}",
            count,
        ).format(count=self.number(count), version=version)

    def versions_note(self, history: History, stats: QuestionStats) -> str | None:
        """Under a question in /stats and the web view's results: which versions its numbers
        come from, when not from every version; None when from every one."""
        if len(history.versions) < 2:
            return None
        counted = stats.versions
        if tuple(history.had(stats.question_id)) != counted:
            text = self.ngettext(
                "Counted from version {versions} only: earlier versions asked it as another "
                "type of question.",
                "Counted from versions {versions} only: earlier versions asked it as another "
                "type of question.",
                len(counted),
            )
        elif len(counted) < len(history.versions):
            text = self.ngettext(
                "Asked on version {versions} only.",
                "Asked on versions {versions} only.",
                len(counted),
            )
        else:
            return None
        return text.format(versions=version_list(counted))

    def _complete(self, complete: int) -> str:
        # Said of the responses just counted: "of which 1 complete" in Swedish.
        return self._counted(
            self.ngettext("{count} complete", "{count} complete", complete), complete
        )

    def answers(self, count: int) -> str:
        """How many answered a question that has no choices to count (text, place, photo)."""
        return self._counted(self.ngettext("{count} answer", "{count} answers", count), count)

    def skipped(self, count: int) -> str:
        """How many skipped a question."""
        return self._counted(self.ngettext("{count} skipped", "{count} skipped", count), count)

    def contributions(self, ideas: int, tips: int) -> str:
        """Ideas and safety tips so far, under /stats."""
        return "{} · {}".format(
            self._counted(self.ngettext("💡 {count} idea", "💡 {count} ideas", ideas), ideas),
            self._counted(
                self.ngettext("⚠️ {count} safety tip", "⚠️ {count} safety tips", tips), tips
            ),
        )

    def reloaded(self, count: int) -> str:
        return self._counted(
            self.ngettext(
                "🔄 Reloaded: {count} campaign.", "🔄 Reloaded: {count} campaigns.", count
            ),
            count,
        )

    # ---- organizers: a file sent in Telegram ----
    def questions(self, count: int) -> str:
        """Above the questions of a survey file an organizer sent."""
        return self._counted(
            self.ngettext("{count} question:", "{count} questions:", count), count
        )

    def problems(self, count: int) -> str:
        """Under the problems of a file an organizer sent, as validate ends its list."""
        return self._counted(
            self.ngettext("{count} problem found.", "{count} problems found.", count), count
        )

    def listed(self, kind: str, count: int) -> str:
        """A categories or places file an organizer sent: how many it lists."""
        if kind == "categories":
            text = self.ngettext("{count} category", "{count} categories", count)
        else:
            text = self.ngettext("{count} place", "{count} places", count)
        return self._counted(text, count)

    # ---- organizers: announcements ----
    def tell_subscribers(self, count: int) -> str:
        """The button that sends an announcement out, after asking."""
        return self._counted(
            self.ngettext(
                "📣 Yes, tell {count} subscriber", "📣 Yes, tell up to {count} subscribers", count
            ),
            count,
        )

    def announced(self, title: str, sent: int, failed: int) -> str:
        """The progress message once an announcement has gone out."""
        return self._(
            "✅ “{title}” announced: {sent} sent, {failed} could not be reached."
        ).format(title=title, sent=self.number(sent), failed=self.number(failed))

    def announcing(self, title: str, sent: int, failed: int, left: int, minutes: int) -> str:
        """The progress message while an announcement goes out, edited as it goes."""
        return self._(
            "📣 Announcing “{title}”…\n{sent} sent · {failed} failed · {left} left\n"
            "About {minutes} min left."
        ).format(
            title=title,
            sent=self.number(sent),
            failed=self.number(failed),
            left=self.number(left),
            minutes=self.number(minutes),
        )

    # ---- organizers: moderation ----
    def waiting(self, count: int) -> str:
        """Under a moderation card: how many are in the queue, this one included."""
        return self._counted(
            self.ngettext("{count} waiting in this queue", "{count} waiting in this queue", count),
            count,
        )

    def approved_waiting(self, count: int) -> str:
        """The button that goes on to the approved ideas and tips not yet handled."""
        return self._counted(
            self.ngettext(
                "Go through the {count} approved one waiting to be handled",
                "Go through the {count} approved ones waiting to be handled",
                count,
            ),
            count,
        )

    # ---- residents ----
    def older(self, count: int) -> str:
        """Under "My contributions", when not all of them fit."""
        return self._counted(
            self.ngettext("…and {count} older one.", "…and {count} older ones.", count), count
        )

    def kept_for(self, days: int) -> str:
        """How long what a resident gives is kept, in the privacy notice."""
        return self._counted(
            self.ngettext("at most {count} day", "at most {count} days", days), days
        )

    def characters(self, limit: int) -> str:
        """How long a written answer may be."""
        return self._counted(
            self.ngettext(
                "Write your answer (at most {count} character).",
                "Write your answer (at most {count} characters).",
                limit,
            ),
            limit,
        )

    def too_long(self, length: int, limit: int) -> str:
        """A written answer longer than the question takes."""
        return self.ngettext(
            "Your answer is {length} character long, but this question takes at most "
            "{limit}. Please shorten it and send it again.",
            "Your answer is {length} characters long, but this question takes at most "
            "{limit}. Please shorten it and send it again.",
            length,
        ).format(length=self.number(length), limit=self.number(limit))
