"""Callback data, one place per button family: each builds its data and parses it back.

Data must stay byte for byte what it was: buttons already in residents' chats keep working.
Every family starts with its own prefix; handlers/__init__.py registers one handler per
action with the patterns made here. Telegram takes 64 bytes, which short ids keep to
(survey ids 40, question and choice ids 32 characters at most).
"""

from __future__ import annotations

import re

from core.contributions import HideReason, Kind, Status
from core.engine import Action
from core.loop import SaferAnswer

# Callback-data prefixes, one per kind of button; handlers build their patterns from these.
ANSWER = "a"
LANGUAGE = "l"
CONSENT = "c"
MENU = "m"
SURVEY = "s"
RESUME = "r"
RESTART = "n"
CONTRIBUTE = "i"  # i:idea, i:tip, i:mine
MODERATE = "o"  # o:<queue>:<contribution>:<what>[:<reason>]
SUBSCRIBE = "u"  # u:<news|rem|all>:<on|off|no>
CAMPAIGN = "k"  # k:<what>:<survey id>, admins only
UPLOAD = "f"  # f:<what>:<upload id>, admins only: a file sent, waiting for Save
VERSION = "v"  # v:<kind>:<name>:<version>, admins only: download a stored version
PROMPT = "w"  # w:<what>:<prompt id>, admins only: a campaign's dates being set
ORGANIZER = "g"  # g:<what>:<organizer id>[:<area tag>], owners only: /organizers
AUDIT = "h"  # h:<offset>, owners only: a page of /audit
NEWS, REMINDERS = "news", "rem"
WRITE = "all"  # the one question after consent: may Torget write at all (news and reminders)
PANEL = "p"  # ends the /notify panel's buttons: a press edits the panel in place
MINE = "mine"
CALLBACK_LIMIT = 64  # bytes of callback data Telegram accepts

ACTION_CODES: dict[Action, str] = {
    Action.CHOOSE: "c",
    Action.TOGGLE: "t",
    Action.TICK: "+",
    Action.UNTICK: "-",
    Action.DONE: "d",
    Action.NEXT: "n",
    Action.SKIP: "s",
    Action.BACK: "b",
    Action.CONFIRM: "y",
    Action.CHANGE: "x",
    Action.JUMP: "j",
    Action.SUMMARY: "r",
}
ACTIONS_BY_CODE = {code: action for action, code in ACTION_CODES.items()}


def pattern(prefix: str, *head: str) -> str:
    """The regex of a family's data (or, with `head`, of one action's): prefix and head
    fields whole, so that "k:close" does not catch "k:close!"."""
    fields = ":".join(re.escape(field) for field in (prefix, *head))
    return rf"^{fields}(:|$)"


# ---- survey answers: a:<response>:<version>:<action>[:<value>] ----
def answer_data(response_id: int, version: int, action: Action, value: str = "") -> str:
    data = f"{ANSWER}:{response_id}:{version}:{ACTION_CODES[action]}"
    return f"{data}:{value}" if value else data


def resume_data(response_id: int, version: int | None = None) -> str:
    """A Continue button's data: the response, and the version the offer was drawn for."""
    return f"{RESUME}:{response_id}" if version is None else f"{RESUME}:{response_id}:{version}"


def parse_offer_data(data: str) -> tuple[int, int | None] | None:
    """A Continue or Start over button's (response id, version; None for a reminder or an
    older button), or None if garbled."""
    parts = data.split(":")
    try:
        response_id = int(parts[1])
        version = int(parts[2]) if len(parts) > 2 else None
    except (IndexError, ValueError):
        return None
    return response_id, version


def parse_answer_data(data: str) -> tuple[int, int, Action, str] | None:
    parts = data.split(":", 4)
    if len(parts) < 4 or parts[0] != ANSWER:
        return None
    try:
        response_id, version = int(parts[1]), int(parts[2])
    except ValueError:
        return None
    action = ACTIONS_BY_CODE.get(parts[3])
    if action is None:
        return None
    return response_id, version, action, parts[4] if len(parts) == 5 else ""


# ---- language and consent, carrying a newcomer's deep-link code ----
def carry(prefix: str, lang: str, code: str | None) -> str:
    """Callback data that carries a newcomer's deep-link code through onboarding.

    Keeping the code in the buttons, not the store, is what lets nothing be stored before
    consent. A code too long for Telegram's 64 bytes is dropped: the menu is the fallback.
    """
    data = f"{prefix}:{lang}"
    carried = f"{data}:{code}" if code else data
    return carried if len(carried.encode()) <= CALLBACK_LIMIT else data


def split_carried(data: str) -> tuple[str, str | None]:
    """(language, code) from data made by carry()."""
    parts = data.split(":", 2)
    lang = parts[1] if len(parts) > 1 else ""
    return lang, parts[2] if len(parts) > 2 and parts[2] else None


# ---- the main menu: m, s:<survey id>, i:<idea|tip|mine>; offers: n:<response> ----
def survey_data(survey_id: str) -> str:
    return f"{SURVEY}:{survey_id}"


def parse_survey_data(data: str) -> str:
    """The survey id a menu or announcement button names (maybe no longer known)."""
    return data.split(":", 1)[1]


def restart_data(response_id: int) -> str:
    """A Start over button's data; parse_offer_data reads it back."""
    return f"{RESTART}:{response_id}"


def contribute_data(choice: Kind | str) -> str:
    """The menu's idea, tip and My contributions (MINE) buttons."""
    return f"{CONTRIBUTE}:{choice}"


# ---- news and reminders: u:<news|rem|all>:<on|off|no>[:p] ----
def subscribe_data(what: str, choice: str, panel: bool = False) -> str:
    """`panel`: pressed in the /notify panel, which the press then edits in place."""
    data = f"{SUBSCRIBE}:{what}:{choice}"
    return f"{data}:{PANEL}" if panel else data


def parse_subscribe_data(data: str) -> tuple[str, str, bool] | None:
    """(what, choice, from the panel), or None when it names nothing to switch."""
    parts = data.split(":")
    if len(parts) < 3 or parts[1] not in (NEWS, REMINDERS, WRITE):
        return None
    return parts[1], parts[2], len(parts) > 3 and parts[3] == PANEL


# ---- /delete: del:yes or del:no ----
DELETE = "del"
CONFIRM_DELETE = f"{DELETE}:yes"
KEEP = f"{DELETE}:no"


# ---- moderation, admins only: o:<queue>:<contribution>:<what>[:<reason>] ----
# The queues an admin walks: new contributions, approved ones, then those on their way to a
# fix; "1" is a card shown on its own (/moderate <id>), after which no next one follows.
QUEUES = {
    "r": Status.RECEIVED,
    "s": Status.SEEN,
    "f": Status.FORWARDED,
    "p": Status.PLANNED,
    "i": Status.IN_PROGRESS,
}
QUEUE_CODES = {status: code for code, status in QUEUES.items()}
ALONE = "1"
# What a button does to the contribution it is under.
APPROVE, HANDLED, HIDE, HIDDEN, NEXT, BACK, START = (
    "ok",
    "done",
    "hide",
    "hid",
    "next",
    "back",
    "go",
)
# The loop's statuses (issue 21): set at once, or asked about first (the reason, the original).
PLAN, BEGIN, FIX, WONT_FIX, DUPLICATE, TRIAGE = ("pl", "ip", "fx", "wf", "dup", "tri")
# The status each deciding button gives (Hide… first offers the reasons, HIDDEN carries one).
DECISIONS = {
    APPROVE: Status.SEEN,
    PLAN: Status.PLANNED,
    BEGIN: Status.IN_PROGRESS,
    FIX: Status.FIXED,
    WONT_FIX: Status.WONT_FIX,
    DUPLICATE: Status.DUPLICATE,
    HIDDEN: Status.HIDDEN,
}
DECIDING = {status: what for what, status in DECISIONS.items()}


def moderate_data(
    queue: Status | None, item_id: int, what: str, reason: HideReason | None = None
) -> str:
    code = ALONE if queue is None else QUEUE_CODES[queue]
    data = f"{MODERATE}:{code}:{item_id}:{what}"
    return f"{data}:{reason}" if reason is not None else data


def moderate_pattern(what: str) -> str:
    """The regex of one moderation action, whatever the queue and contribution."""
    return rf"^{MODERATE}:[^:]*:[^:]*:{re.escape(what)}(:|$)"


def parse_moderate_data(
    data: str,
) -> tuple[Status | None, int, str, HideReason | None] | None:
    """(queue or None for a card on its own, contribution id, what, reason to hide with), or
    None if garbled. A reason is only read for HIDDEN, where a missing or unknown one makes
    the data garbled."""
    parts = data.split(":")
    if len(parts) < 4 or (parts[1] not in QUEUES and parts[1] != ALONE):
        return None
    if not parts[2].isdigit() or len(parts[2]) > 12:
        return None
    queue = QUEUES.get(parts[1])
    item_id, what = int(parts[2]), parts[3]
    reason = None
    if what == HIDDEN:
        try:
            reason = HideReason(parts[4]) if len(parts) > 4 else None
        except ValueError:
            reason = None
        if reason is None:
            return None
    return queue, item_id, what, reason


# ---- campaigns, admins only: k:<what>:<survey id> ----
OPEN, CLOSE, ANNOUNCE, STATS, KEEP_CAMPAIGN = "open", "close", "ann", "stats", "keep"
YAML = "yaml"  # the current version's file
TRY = "try"  # answer the campaign as a resident would, as a trial (handlers/trial.py)
CONFIRMED = "!"  # close! and ann! do it; close and ann ask first
SCHEDULE = "when"  # asks for the opening and closing times (handlers/schedule.py)


def campaign_data(what: str, survey_id: str) -> str:
    return f"{CAMPAIGN}:{what}:{survey_id}"


def parse_campaign_data(data: str) -> tuple[str, str] | None:
    """(what, survey id), or None if garbled."""
    parts = data.split(":", 2)
    return (parts[1], parts[2]) if len(parts) == 3 else None


# ---- a file an organizer sent, admins only: f:<save|save!|drop>:<upload id> ----
SAVE, DROP = "save", "drop"  # save asks first when answers would break; save! saves


def upload_data(what: str, upload_id: int) -> str:
    return f"{UPLOAD}:{what}:{upload_id}"


def parse_upload_data(data: str) -> tuple[str, int] | None:
    """(what, upload id), or None if garbled."""
    parts = data.split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


# ---- a campaign's dates being set, admins only: w:<save|drop|clear>:<prompt id> ----
CLEAR = "clear"  # back to the file's dates; SAVE and DROP as for an upload


def prompt_data(what: str, prompt_id: int) -> str:
    return f"{PROMPT}:{what}:{prompt_id}"


def parse_prompt_data(data: str) -> tuple[str, int] | None:
    """(what, prompt id), or None if garbled."""
    parts = data.split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


# ---- a stored version's file, admins only: v:<s|c|p>:<name>:<version> ----
KIND_CODES = {"survey": "s", "categories": "c", "places": "p"}
KINDS_BY_CODE = {code: kind for kind, code in KIND_CODES.items()}


def version_data(kind: str, name: str, version: int) -> str:
    """`kind` as storage.definitions.DefinitionKind spells it (survey, categories, places)."""
    return f"{VERSION}:{KIND_CODES[kind]}:{name}:{version}"


def parse_version_data(data: str) -> tuple[str, str, int] | None:
    """(kind, name, version), or None if garbled."""
    parts = data.split(":")
    if len(parts) != 4 or parts[1] not in KINDS_BY_CODE or not parts[3].isdigit():
        return None
    return KINDS_BY_CODE[parts[1]], parts[2], int(parts[3])


# ---- /organizers, owners only: g:<rm|rm!|area|set|back>:<organizer id>[:<area tag>] ----
REMOVE, CHOOSE_AREA, SET_AREA, BACK_TO = "rm", "area", "set", "back"
EVERY_AREA = "*"  # SET_AREA's tag for no area: every campaign


def organizer_data(what: str, organizer_id: int, tag: str | None = None) -> str:
    data = f"{ORGANIZER}:{what}:{organizer_id}"
    return f"{data}:{tag}" if tag is not None else data


def parse_organizer_data(data: str) -> tuple[str, int, str | None] | None:
    """(what, organizer id, area tag), or None if garbled."""
    parts = data.split(":")
    if len(parts) not in (3, 4) or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2]), parts[3] if len(parts) == 4 else None


# ---- /audit's pages, owners only: h:<offset> ----
def audit_data(offset: int) -> str:
    return f"{AUDIT}:{offset}"


def parse_audit_data(data: str) -> int | None:
    parts = data.split(":")
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    return int(parts[1])


def exactly(data: str) -> str:
    """The regex of one button's data, whole: for the families without fields after it."""
    return rf"^{re.escape(data)}$"


# ---- a safety walk in a group (handlers/walk.py): wk:<what>:<id>[:<field>...] ----
WALK = "wk"
JOIN_WALK = "j"  # wk:j:<walk>
FINDING_CATEGORY = "c"  # wk:c:<finding>:<category index>
FINDING_JUDGEMENT = "u"  # wk:u:<finding>:<u|g>
AUDIT_STOP = "q"  # wk:q:<walk>:<stop>: post the stop's audit
AUDIT_SCORE = "a"  # wk:a:<walk>:<stop>:<parameter index>:<score>
WALK_LABEL = "n"  # wk:n: an audit row's label, which does nothing
DISCARD_FINDING = "x"  # wk:x:<finding>: not a finding after all (talk in the group)
WALK_FIELDS = {JOIN_WALK: 1, FINDING_CATEGORY: 2, FINDING_JUDGEMENT: 2, AUDIT_STOP: 2}
WALK_FIELDS |= {DISCARD_FINDING: 1}
WALK_FIELDS |= {AUDIT_SCORE: 4, WALK_LABEL: 0}


def walk_data(what: str, *values: int | str) -> str:
    return ":".join((WALK, what, *(str(value) for value in values)))


def parse_walk_data(data: str) -> tuple[str, tuple[str, ...]] | None:
    """A walk button's (what, fields), or None when garbled or forged. Every field but a
    judgement's letter is a small number."""
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != WALK or WALK_FIELDS.get(parts[1]) != len(parts) - 2:
        return None
    what, values = parts[1], tuple(parts[2:])
    numbers = values[:-1] if what == FINDING_JUDGEMENT else values
    if not all(value.isdigit() and len(value) <= 12 for value in numbers):
        return None
    if what == FINDING_JUDGEMENT and values[-1] not in ("u", "g"):
        return None
    return what, values


# ---- closing the loop (handlers/followup.py, handlers/metoo.py) ----
# fu:<follow-up>:<answer code>: an answer to "Känns det tryggare nu?".
FOLLOWUP = "fu"
SAFER_CODES: dict[SaferAnswer, str] = {
    SaferAnswer.YES: "y",
    SaferAnswer.SOMEWHAT: "s",
    SaferAnswer.NO: "n",
    SaferAnswer.NOT_FIXED: "x",
}
SAFER_BY_CODE = {code: answer for answer, code in SAFER_CODES.items()}
# mt:<response>:<version>:<contribution>: "me too" instead of sending the draft at that
# version. "Send mine anyway" is the form's own Send (answer_data) with this value, which
# the Send of a tip then takes as "no offer of me too".
METOO = "mt"
SEND_ANYWAY = "own"


def followup_data(followup_id: int, answer: SaferAnswer) -> str:
    return f"{FOLLOWUP}:{followup_id}:{SAFER_CODES[answer]}"


def parse_followup_data(data: str) -> tuple[int, SaferAnswer] | None:
    """(follow-up id, answer), or None if garbled."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != FOLLOWUP or not parts[1].isdigit():
        return None
    answer = SAFER_BY_CODE.get(parts[2])
    return (int(parts[1]), answer) if answer is not None else None


def metoo_data(response_id: int, version: int, contribution_id: int) -> str:
    return f"{METOO}:{response_id}:{version}:{contribution_id}"


def parse_metoo_data(data: str) -> tuple[int, int, int] | None:
    """(draft response id, its version, the contribution), or None if garbled."""
    parts = data.split(":")
    if len(parts) != 4 or parts[0] != METOO or not all(p.isdigit() for p in parts[1:]):
        return None
    return int(parts[1]), int(parts[2]), int(parts[3])


# ---- triage on a moderation card, admins only: tr:<queue>:<contribution>:<what>[:<value>] ----
# Who is responsible, how urgent, Purple Flag's themes (toggled), the deadline asked as text.
TRIAGE_PREFIX = "tr"
RESPONSIBLE, PRIORITY, THEME, DEADLINE, NO_DEADLINE, CARD = ("r", "p", "t", "d", "dx", "back")
TRIAGE_WHATS = frozenset({RESPONSIBLE, PRIORITY, THEME, DEADLINE, NO_DEADLINE, CARD})


def triage_data(queue: Status | None, item_id: int, what: str, value: str = "") -> str:
    code = ALONE if queue is None else QUEUE_CODES[queue]
    data = f"{TRIAGE_PREFIX}:{code}:{item_id}:{what}"
    return f"{data}:{value}" if value else data


def parse_triage_data(data: str) -> tuple[Status | None, int, str, str] | None:
    """(queue or None, contribution id, what, value), or None if garbled; whether the value
    names a known responsible party, priority or theme is for the handler to check."""
    parts = data.split(":")
    if len(parts) not in (4, 5) or parts[0] != TRIAGE_PREFIX:
        return None
    if parts[1] not in QUEUES and parts[1] != ALONE:
        return None
    if not parts[2].isdigit() or len(parts[2]) > 12 or parts[3] not in TRIAGE_WHATS:
        return None
    return QUEUES.get(parts[1]), int(parts[2]), parts[3], parts[4] if len(parts) == 5 else ""


# ---- forwarding to the municipality, owners and organizers: fw:<what>:<contribution>[:…] ----
# fw:o:<id> offers the channels and services; fw:s:<id>:<service code> and fw:e:<id> show what
# would be sent; fw:y:<id>:o:<service code> or fw:y:<id>:e sends it; fw:n:<id> leaves it.
FORWARD = "fw"
FORWARD_OFFER, FORWARD_SERVICE, FORWARD_EMAIL, FORWARD_SEND, FORWARD_CANCEL = (
    "o",
    "s",
    "e",
    "y",
    "n",
)
FORWARD_BY_OPEN311, FORWARD_BY_EMAIL = "o", "e"
_FORWARD_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")


def forward_data(what: str, item_id: int, *rest: str) -> str | None:
    """A forwarding button's data, or None when a service code would not fit in 64 bytes (or
    holds a ':'): that service is then not offered as a button."""
    if any(part and not _FORWARD_CODE.match(part) for part in rest):
        return None
    data = ":".join((FORWARD, what, str(item_id), *(part for part in rest if part)))
    return data if len(data.encode()) <= CALLBACK_LIMIT else None


def parse_forward_data(data: str) -> tuple[str, int, tuple[str, ...]] | None:
    """(what, contribution id, the rest), or None when garbled or forged."""
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != FORWARD or not parts[2].isdigit() or len(parts[2]) > 12:
        return None
    rest = tuple(parts[3:])
    if any(not _FORWARD_CODE.match(part) for part in rest):
        return None
    return parts[1], int(parts[2]), rest


def forward_pattern(what: str | None = None) -> str:
    """The regex of one forwarding action's data (all of the family's without `what`)."""
    return pattern(FORWARD, what) if what else pattern(FORWARD)
