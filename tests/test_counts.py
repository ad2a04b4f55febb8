"""Every text with a count reads right for 0, 1, 2 and 3 650, in Swedish and in English.

An organizer read "1 svar, 1 kompletta", "1 påbörjade, 1 kompletta (100 %)", "💡 1 idéer" and
"högst 3650 dagar": one plural for two counts, no singular, numbers without grouping.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.counts import Counts
from core.i18n import Catalogs

CATALOGS = Catalogs()
# How each language writes the numbers the texts are tried with.
SHOWN = {
    "sv": {0: "0", 1: "1", 2: "2", 3650: "3\xa0650"},
    "en": {0: "0", 1: "1", 2: "2", 3650: "3,650"},
}

Render = Callable[[Counts, int], str]
# (what, how to render it with a count, {language: (text for 1, text for any other count,
# and where 0 is said in words, the text for 0)}); "{n}" stands for the count as written.
CASES: list[tuple[str, Render, dict[str, tuple[str, ...]]]] = [
    (
        "responses under a campaign",
        lambda c, n: c.responses(n, 0),
        {
            # Before anyone has answered it says so, rather than "0 svar, varav 0 kompletta".
            "sv": ("1 svar, varav 0 kompletta", "{n} svar, varav 0 kompletta", "Inga svar än."),
            "en": ("1 response, 0 complete", "{n} responses, 0 complete", "No responses yet."),
        },
    ),
    (
        "complete responses under a campaign",
        lambda c, n: c.responses(5000, n),
        {
            "sv": ("5\xa0000 svar, varav 1 komplett", "5\xa0000 svar, varav {n} kompletta"),
            "en": ("5,000 responses, 1 complete", "5,000 responses, {n} complete"),
        },
    ),
    (
        "responses started in /stats",
        lambda c, n: c.started(n, 1, 0.5),
        {
            "sv": (
                "1 påbörjat svar, varav 1 komplett (50\xa0%)",
                "{n} påbörjade svar, varav 1 komplett (50\xa0%)",
            ),
            "en": ("1 started, 1 complete (50%)", "{n} started, 1 complete (50%)"),
        },
    ),
    (
        "complete responses in /stats",
        lambda c, n: c.started(2, n, 1.0),
        {
            "sv": (
                "2 påbörjade svar, varav 1 komplett (100\xa0%)",
                "2 påbörjade svar, varav {n} kompletta (100\xa0%)",
            ),
            "en": ("2 started, 1 complete (100%)", "2 started, {n} complete (100%)"),
        },
    ),
    (
        "answers to a question",
        Counts.answers,
        {"sv": ("1 svar", "{n} svar"), "en": ("1 answer", "{n} answers")},
    ),
    (
        "skipped a question",
        Counts.skipped,
        {
            "sv": ("1 hoppade över frågan", "{n} hoppade över frågan"),
            "en": ("1 skipped", "{n} skipped"),
        },
    ),
    (
        "ideas",
        lambda c, n: c.contributions(n, 1),
        {
            "sv": ("💡 1 idé · ⚠️ 1 trygghetstips", "💡 {n} idéer · ⚠️ 1 trygghetstips"),
            "en": ("💡 1 idea · ⚠️ 1 safety tip", "💡 {n} ideas · ⚠️ 1 safety tip"),
        },
    ),
    (
        "safety tips",
        lambda c, n: c.contributions(1, n),
        {
            "sv": ("💡 1 idé · ⚠️ 1 trygghetstips", "💡 1 idé · ⚠️ {n} trygghetstips"),
            "en": ("💡 1 idea · ⚠️ 1 safety tip", "💡 1 idea · ⚠️ {n} safety tips"),
        },
    ),
    (
        "campaigns reloaded",
        Counts.reloaded,
        {
            "sv": ("🔄 Inläst igen: 1 kampanj.", "🔄 Inläst igen: {n} kampanjer."),
            "en": ("🔄 Reloaded: 1 campaign.", "🔄 Reloaded: {n} campaigns."),
        },
    ),
    (
        "questions of a file sent in Telegram",
        Counts.questions,
        {"sv": ("1 fråga:", "{n} frågor:"), "en": ("1 question:", "{n} questions:")},
    ),
    (
        "problems of a file sent in Telegram",
        Counts.problems,
        {
            "sv": ("1 problem hittades.", "{n} problem hittades."),
            "en": ("1 problem found.", "{n} problems found."),
        },
    ),
    (
        "categories of a file sent in Telegram",
        lambda c, n: c.listed("categories", n),
        {"sv": ("1 kategori", "{n} kategorier"), "en": ("1 category", "{n} categories")},
    ),
    (
        "places of a file sent in Telegram",
        lambda c, n: c.listed("places", n),
        {"sv": ("1 plats", "{n} platser"), "en": ("1 place", "{n} places")},
    ),
    (
        "subscribers an announcement goes to",
        Counts.tell_subscribers,
        {
            "sv": (
                "📣 Ja, skicka ut till 1 prenumerant",
                "📣 Ja, skicka ut till högst {n} prenumeranter",
            ),
            "en": ("📣 Yes, tell 1 subscriber", "📣 Yes, tell up to {n} subscribers"),
        },
    ),
    (
        "announcement sent",
        lambda c, n: c.announced("Söder", n, n),
        {
            "sv": (
                "✅ ”Söder” är utskickad: skickat till 1, 1 gick inte att nå.",
                "✅ ”Söder” är utskickad: skickat till {n}, {n} gick inte att nå.",
            ),
            "en": (
                "✅ “Söder” announced: 1 sent, 1 could not be reached.",
                "✅ “Söder” announced: {n} sent, {n} could not be reached.",
            ),
        },
    ),
    (
        "announcement going out",
        lambda c, n: c.announcing("Söder", n, n, n, n),
        {
            "sv": (
                "📣 ”Söder” skickas ut …\nSkickat: 1 · Gick inte fram: 1 · Kvar: 1\n"
                "Cirka 1 min kvar.",
                "📣 ”Söder” skickas ut …\nSkickat: {n} · Gick inte fram: {n} · Kvar: {n}\n"
                "Cirka {n} min kvar.",
            ),
            "en": (
                "📣 Announcing “Söder”…\n1 sent · 1 failed · 1 left\nAbout 1 min left.",
                "📣 Announcing “Söder”…\n{n} sent · {n} failed · {n} left\nAbout {n} min left.",
            ),
        },
    ),
    (
        "waiting to be moderated",
        Counts.waiting,
        {
            "sv": ("1 väntar i kön", "{n} väntar i kön"),
            "en": ("1 waiting in this queue", "{n} waiting in this queue"),
        },
    ),
    (
        "approved, waiting to be handled",
        Counts.approved_waiting,
        {
            "sv": (
                "Gå igenom den godkända som väntar på åtgärd",
                "Gå igenom de {n} godkända som väntar på åtgärd",
            ),
            "en": (
                "Go through the 1 approved one waiting to be handled",
                "Go through the {n} approved ones waiting to be handled",
            ),
        },
    ),
    (
        "older contributions not listed",
        Counts.older,
        {
            "sv": ("…och ett äldre.", "…och {n} äldre."),
            "en": ("…and 1 older one.", "…and {n} older ones."),
        },
    ),
    (
        "days things are kept",
        Counts.kept_for,
        {
            "sv": ("högst 1 dag", "högst {n} dagar"),
            "en": ("at most 1 day", "at most {n} days"),
        },
    ),
    (
        "characters an answer may have",
        Counts.characters,
        {
            "sv": ("Skriv ditt svar (högst 1 tecken).", "Skriv ditt svar (högst {n} tecken)."),
            "en": (
                "Write your answer (at most 1 character).",
                "Write your answer (at most {n} characters).",
            ),
        },
    ),
    (
        "characters an answer has",
        lambda c, n: c.too_long(n, 5000),
        {
            "sv": (
                "Ditt svar är 1 tecken långt, men här ryms högst 5\xa0000. Korta ner det lite "
                "och skicka igen.",
                "Ditt svar är {n} tecken långt, men här ryms högst 5\xa0000. Korta ner det "
                "lite och skicka igen.",
            ),
            "en": (
                "Your answer is 1 character long, but this question takes at most 5,000. "
                "Please shorten it and send it again.",
                "Your answer is {n} characters long, but this question takes at most 5,000. "
                "Please shorten it and send it again.",
            ),
        },
    ),
]


@pytest.mark.parametrize("count", [0, 1, 2, 3650])
@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize(("what", "render", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_count_reads_right(
    what: str, render: Render, expected: dict[str, tuple[str, ...]], lang: str, count: int
) -> None:
    counts = Counts(CATALOGS.get(lang), lang)
    one, other, *zero = expected[lang]
    if count == 0 and zero:
        wanted = zero[0]
    else:
        wanted = one if count == 1 else other.format(n=SHOWN[lang][count])
    assert render(counts, count) == wanted
