"""Asking people directly: survey rounds, their links, and answers sent online or on paper.

A scheme user (or an administrator) opens a round for a scheme, a quarter and who
is asked (people or family carers). The round gets an **open link** for anyone the
scheme gives it to and one **personal link** per reference given; references are
pseudonymised at once (``kpi.privacy``), exactly as an upload does, so a person's
answers link across quarters and feed the change KHIs.

Why tokens are kept hashed: a link is the only key to write answers for its round,
and a copy of the store must not hand out working links. The token
(``secrets.token_urlsafe(32)``, 256 random bits) is shown once, when the round is
opened; the store keeps its SHA-256. A link only ever writes answers for its own
scheme, quarter and round; it stops when closed, when its round is closed or
rolled back, and after it expires (the end of the quarter plus ``link_grace_days``
of register.toml). A personal link answers once; a later answer of the same person
in the same quarter (on paper, or a new round's link) is a correction, as for uploads.

Answers go through the upload's checks (``kpi.ingest.values``) and the upload's
duplicate and correction rules (``Store.store_responses``), in one transaction with
their line in the change log; each records its channel and wording. A round is an
upload of kind "round" in the upload history and is rolled back like one.

A link's address is ``{base}/answer/{token}`` (:func:`link_url`): the web form serves
that path and nothing else of the dashboard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from kpi.errors import KhiError
from kpi.ingest.values import item_value
from kpi.items import bank
from kpi.periods import parse_quarter, quarter_end, quarter_label, shift_quarter
from kpi.privacy import key_for_reference, normalise_reference
from kpi.reach import Reach
from kpi.scope import AccessError, Scope
from kpi.store import CHANNELS, WORDINGS, Store
from kpi.store.access import record_change

WHO = ("person", "carer")
KINDS = ("open", "personal")
# The path of a link under the dashboard's address (the web form's route).
ANSWER_PATH = "/answer/"
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
# Answer keys that are not items: asked at the end, and who is answering.
COMPLETED_BY = "completed_by"
RESPONDENT_TYPE = "respondent_type"


class LinkRefused(KhiError, ValueError):
    """A link that may not write now (closed, expired, answered, too many at once, or
    unknown): the message is for the person holding it, and nothing was stored."""


class InvalidAnswer(LinkRefused):
    """An answer that is not one the question allows (nothing was stored)."""


# ----------------------------------------------------------------- tokens ---
def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a token (SHA-256, hex): the token cannot be read back."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def link_url(base_url: str, token: str) -> str:
    """The full address of a link on the dashboard at ``base_url``."""
    return base_url.rstrip("/") + ANSWER_PATH + token


def _well_formed(token: object) -> bool:
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


# ------------------------------------------------------------ rate limit ---
class RateLimiter:
    """A token bucket per link, in a bounded LRU: a flood of answers (or of made-up
    links) costs at most ``max_links`` small entries, never more memory.

    Why per link: one shared open link must not be able to crowd out the rest, and
    refusing before the store is opened keeps a flood from slowing the dashboard.
    """

    def __init__(self, max_links: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.max_links = max_links
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, burst: float, per_minute: float) -> bool:
        """Take one answer from ``key``'s bucket; False when it is empty."""
        now = self.clock()
        with self._lock:
            level, then = self._buckets.pop(key, (burst, now))
            level = min(burst, level + (now - then) * per_minute / 60.0)
            allowed = level >= 1.0
            self._buckets[key] = (level - 1.0 if allowed else level, now)
            while len(self._buckets) > self.max_links:
                self._buckets.popitem(last=False)
        return allowed

    def __len__(self) -> int:
        return len(self._buckets)

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()


LIMITER = RateLimiter()


_RATE_DEFAULTS = {"open_link": (120, 600), "personal_link": (5, 10), "all_links": (300, 3000)}


def _rate(prefix: str) -> tuple[float, float]:
    """(burst, per minute) from register.toml [settings]: ``open_link``,
    ``personal_link``, or ``all_links`` (every link together)."""
    settings = bank().settings
    burst, per_minute = _RATE_DEFAULTS[prefix]
    return (float(settings.get(f"{prefix}_burst", burst)),
            float(settings.get(f"{prefix}_per_minute", per_minute)))


_TOO_MANY = (
    "A lot of answers came through this link just now, so yours was not saved yet. "
    "Please wait a minute, then press Send again."
)


# ------------------------------------------------------------------ rounds ---
@dataclass(frozen=True)
class LinkInfo:
    round_id: int
    scheme_id: str
    quarter: str
    kind: str  # "open" | "personal"
    who: str  # "person" | "carer"
    usable: bool
    reason: str  # in plain words when not usable


@dataclass(frozen=True)
class OpenedRound:
    """A round just opened, with its tokens: the only time they are ever shown."""

    round_id: int
    upload_id: int
    scheme_id: str
    quarter: str
    who: str
    expires_at: dt.datetime
    open_token: str
    personal: tuple[tuple[str, str], ...]  # (reference as given, token)

    @property
    def last_day(self) -> dt.date:
        """The last day its links work."""
        return (self.expires_at - dt.timedelta(days=1)).date()

    def link_rows(self, base_url: str) -> list[dict[str, str | None]]:
        """Every link as a full address: kind, reference (personal only, else None), url."""
        rows = [{"kind": "open", "reference": None, "url": link_url(base_url, self.open_token)}]
        rows += [{"kind": "personal", "reference": ref, "url": link_url(base_url, token)}
                 for ref, token in self.personal]
        return rows

    def links(self, base_url: str) -> pd.DataFrame:
        """:meth:`link_rows` as a table (for a CSV to download)."""
        return pd.DataFrame(self.link_rows(base_url), columns=["kind", "reference", "url"])


def expiry(quarter_start: dt.date) -> dt.datetime:
    """When a round's links stop: the end of the day ``link_grace_days`` after its quarter."""
    days = int(bank().settings.get("link_grace_days", 28))
    if days < 0:
        raise KhiError("register.toml: link_grace_days must be 0 or more.")
    last = quarter_end(quarter_start) + dt.timedelta(days=days)
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time())


def _check_reach(store: Store, scope: Scope, scheme_id: str) -> None:
    if not scope.may_upload:
        raise AccessError("Your role may not run survey rounds: ask an administrator.")
    reach: Reach = scope.allowed(store)
    if not reach.includes(scheme_id):
        raise AccessError("You may run survey rounds only for your own schemes: choose one.")


def _references(references: Iterable[object]) -> list[str]:
    """The references given, each once (as the store would match them), blanks left out."""
    seen: dict[str, str] = {}
    for ref in references:
        if ref is None or (isinstance(ref, float) and ref != ref):
            continue
        text = str(ref).strip()
        if text and normalise_reference(text) not in seen:
            seen[normalise_reference(text)] = text
    return list(seen.values())


def open_round(
    store: Store, scope: Scope, *, scheme_id: str, quarter: str | dt.date, who: str = "person",
    references: Iterable[object] = (), by: str | None = None,
) -> OpenedRound:
    """Open a round with its open link and one personal link per reference.

    The references are pseudonymised before anything is stored; the tokens are
    returned here and never again (hand them out, or print them, now).
    """
    if who not in WHO:
        raise KhiError(f"A round asks people ('person') or family carers ('carer'), not {who!r}.")
    store.ensure()
    scheme_id = str(scheme_id).strip()
    if scheme_id not in store.scheme_ids():
        raise KhiError(f"Scheme '{scheme_id}' is not in the scheme register: check its ID.")
    _check_reach(store, scope, scheme_id)
    start = parse_quarter(quarter)
    expires_at = expiry(start)
    if expires_at <= dt.datetime.now():
        raise KhiError(
            f"The links of a round for {quarter_label(start)} would have expired already "
            f"({expires_at:%d %B %Y}): open a round for this quarter or a later one."
        )
    refs = _references(references)
    keys = [key_for_reference(store.path, scheme_id, ref) for ref in refs]
    open_token = new_token()
    personal = [(ref, new_token()) for ref in refs]
    links = [(token_hash(open_token), "open", None)]
    links += [(token_hash(token), "personal", key) for (_, token), key in zip(personal, keys)]
    asked = "family carers" if who == "carer" else "people"
    label = f"Survey round {quarter_label(start)} ({asked})"
    with store.transaction() as con:
        round_id, upload_id = store.new_round(
            con, scheme_id=scheme_id, quarter_start=start, who=who,
            opened_by=by or scope.email,
            expires_at=expires_at, label=label,
        )
        store.add_links(con, round_id, links, expires_at)
        record_change(con, by or scope.email, "round opened", f"round {round_id}",
                       f"{label} for {scheme_id}: 1 open link, {len(personal)} personal "
                       f"link{'' if len(personal) == 1 else 's'}, until {expires_at:%Y-%m-%d}")
    return OpenedRound(round_id, upload_id, scheme_id, quarter_label(start), who, expires_at,
                       open_token, tuple(personal))


def _round_for(store: Store, scope: Scope, round_id: int) -> dict:
    with store.connect() as con:
        row = store.round_row(con, int(round_id))
    if row is None:
        raise KhiError(f"There is no survey round {round_id}. `python -m kpi round list` "
                       "lists them.")
    _check_reach(store, scope, row["scheme_id"])
    return row


def close_round(store: Store, scope: Scope, round_id: int, by: str | None = None) -> None:
    """Close a round: none of its links writes again (its answers stay)."""
    row = _round_for(store, scope, round_id)
    if _is_set(row["closed_at"]):
        raise KhiError(f"Survey round {round_id} is closed already.")
    with store.transaction() as con:
        store.close_round_row(con, int(round_id), by or scope.email)


def close_link(store: Store, scope: Scope, token: str, by: str | None = None) -> None:
    """Close one link (a personal link handed to the wrong person, an open link shared
    too widely); the round's other links go on."""
    digest = token_hash(token) if _well_formed(token) else None
    with store.connect() as con:
        row = store.link_row(con, digest) if digest else None
    if row is None:
        raise KhiError("That is not a link of any survey round.")
    _check_reach(store, scope, row["scheme_id"])
    with store.transaction() as con:
        store.close_link_row(con, digest, by or scope.email)


def rounds(store: Store, scope: Scope, *, scheme_id: str | None = None,
           quarter: str | dt.date | None = None) -> pd.DataFrame:
    """The rounds this person may see (``scheme_id``, ``quarter`` narrow them), each with
    its state in words ("open", "closed", "expired", "rolled back") and what it gathered."""
    return rounds_in_words(_rounds_read(store, scope), scheme_id=scheme_id, quarter=quarter)


def _rounds_read(store: Store, scope: Scope) -> pd.DataFrame:
    """The stored rounds of the schemes this person may see (``Store.rounds``)."""
    store.ensure()
    return store.rounds(scope.allowed(store))


def rounds_in_words(read: pd.DataFrame, *, scheme_id: str | None = None,
                    quarter: str | dt.date | None = None) -> pd.DataFrame:
    """``Store.rounds`` rows narrowed to ``scheme_id``/``quarter``, each with its
    quarter's label and its state in words as of now (``read`` is left as it is).

    Apart from the read so that a page can keep the read until the store changes
    (it took most of a warm Data quality visit) and still call a round "expired"
    the moment it is."""
    frame = read
    if scheme_id is not None:
        frame = frame[frame["scheme_id"] == str(scheme_id)]
    if quarter is not None:
        start = pd.Timestamp(parse_quarter(quarter))
        frame = frame[pd.to_datetime(frame["quarter_start"]) == start]
    frame = frame.reset_index(drop=True)
    now = dt.datetime.now()
    frame["quarter"] = [quarter_label(pd.Timestamp(q).date()) for q in frame["quarter_start"]]
    frame["state"] = [
        _state(status, closed, pd.Timestamp(expires).to_pydatetime(), now)
        for status, closed, expires in zip(frame["status"], frame["closed_at"],
                                           frame["expires_at"])
    ]
    return frame


ROUND_RATE_COLUMNS = ("round_id", "scheme_id", "quarter", "who", "state", "links_sent",
                      "answers", "online_answers", "paper_answers", "people_supported",
                      "links_answered_pct", "people_pct")


def round_rates(store: Store, scope: Scope, *, scheme_id: str | None = None) -> pd.DataFrame:
    """Each round's response rates (``rates_of_rounds``) of the rounds this person may
    see."""
    read = _rounds_read(store, scope) if scope.may_upload else pd.DataFrame()
    return rates_of_rounds(scope, read, scheme_id=scheme_id)


def rates_of_rounds(scope: Scope, read: pd.DataFrame, *,
                    scheme_id: str | None = None) -> pd.DataFrame:
    """Each round's response rates from ``Store.rounds`` rows, for those who may run
    rounds (the counts are a scheme's own people, unprotected, as in the upload
    history; anyone else gets none).

    Columns (``ROUND_RATE_COLUMNS``): round_id, scheme_id, quarter, who, state,
    links_sent, answers (as they count), online_answers, paper_answers,
    people_supported, links_answered_pct (personal links answered / sent), people_pct
    (answers / people supported, people rounds only: a carer is not a person
    supported).
    """
    columns = list(ROUND_RATE_COLUMNS)
    if not scope.may_upload:
        return pd.DataFrame(columns=columns)
    frame = rounds_in_words(read, scheme_id=scheme_id)
    sent = frame["links_sent"].astype("float64")
    people = pd.to_numeric(frame["people_supported"], errors="coerce")
    frame["links_answered_pct"] = (100.0 * frame["personal_answered"] / sent).where(sent > 0)
    frame["people_pct"] = (100.0 * frame["answers"] / people).where(
        (people > 0) & (frame["who"] == "person"))
    return frame[columns]


def _is_set(value: object) -> bool:
    return value is not None and not pd.isna(value)


def _state(status: str, closed_at: object, expires_at: dt.datetime, now: dt.datetime) -> str:
    if status != "stored":
        return "rolled back"
    if _is_set(closed_at):
        return "closed"
    return "expired" if now >= expires_at else "open"


# ------------------------------------------------------------------- links ---
_REASONS = {
    "rolled back": "This survey has been withdrawn, so answers cannot be sent. Thank you "
                   "for your time. Ask your Shared Lives worker if you have questions.",
    "closed": "This survey is closed now, so answers cannot be sent. Thank you. "
              "If you want to tell us something, ask your Shared Lives worker.",
    "expired": "This survey ended on {date}, so answers cannot be sent. Thank you. "
               "If you want to tell us something, ask your Shared Lives worker.",
    "answered": "Your answers were sent already with this link. Thank you. If something "
                "was wrong, ask your Shared Lives worker.",
}


def _info(row: dict, now: dt.datetime) -> LinkInfo:
    expires = pd.Timestamp(row["expires_at"]).to_pydatetime()
    state = _state(row["status"], row["round_closed_at"], expires, now)
    if state == "open" and _is_set(row["link_closed_at"]):
        state = "closed"
    if state == "open" and row["kind"] == "personal" and int(row["answers"]) > 0:
        state = "answered"
    reason = "" if state == "open" else _REASONS[state].format(
        date=f"{(expires - dt.timedelta(days=1)):%-d %B %Y}")
    return LinkInfo(
        round_id=int(row["round_id"]), scheme_id=str(row["scheme_id"]),
        quarter=quarter_label(pd.Timestamp(row["quarter_start"]).date()), kind=str(row["kind"]),
        who=str(row["who"]), usable=state == "open", reason=reason,
    )


def _lookup(con, store: Store, token: object) -> tuple[str, dict] | None:
    """The link's hash and row, or None for a token that is not one (malformed ones
    never reach the store). The store is searched by hash, so no comparison of the
    token itself can leak it; the hash found is compared in constant time anyway."""
    if not _well_formed(token):
        return None
    digest = token_hash(str(token))
    row = store.link_row(con, digest)
    if row is None or not hmac.compare_digest(str(row["token_hash"]), digest):
        return None
    return digest, row


def link_info(store: Store, token: str) -> LinkInfo | None:
    """What a link is for and whether it may write now; None for an unknown or tampered
    token (the form shows a polite refusal)."""
    if not _well_formed(token) or not store.exists():
        return None
    with store.connect() as con:
        found = _lookup(con, store, token)
    return None if found is None else _info(found[1], dt.datetime.now())


# ----------------------------------------------------------------- answers ---
def _answer_record(answers: Mapping[str, object], who: str) -> dict:
    """The answers as a response's cells, checked as an upload checks them: each key an
    item asked of ``who`` (or completed_by / respondent_type), each value one the
    question allows. Refuses (InvalidAnswer) rather than store a value it is not sure of."""
    if not isinstance(answers, Mapping) or not answers:
        raise InvalidAnswer("No answers came with this form, so nothing was saved. "
                            "Please answer the questions, then press Send.")
    items = {item.code: item for item in bank().items}
    record: dict[str, object] = {}
    for code, value in answers.items():
        if code == RESPONDENT_TYPE:
            if value is not None and value != who:
                raise InvalidAnswer(
                    f"This form is for {'family carers' if who == 'carer' else 'people'} "
                    "and the answers say otherwise, so nothing was saved.")
            continue
        if code == COMPLETED_BY:
            record[COMPLETED_BY] = _completed_by(value)
            continue
        item = items.get(code)
        if item is None or item.audience not in (who, "all"):
            raise InvalidAnswer(f"'{code}' is not a question of this form, so nothing was "
                                "saved.")
        if value is None:
            record[code] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidAnswer(f"The answer to '{item.text}' is not one of its answers, so "
                                "nothing was saved.")
        stored, reason = item_value(code, str(value))
        if reason is not None or stored is None:
            raise InvalidAnswer(f"The answer to '{item.text}': {reason or 'not allowed'}. "
                                "Nothing was saved.")
        record[code] = int(stored)
    if not any(code in items for code in record):
        raise InvalidAnswer("No answers to the questions came with this form, so nothing "
                            "was saved. Please answer the questions, then press Send.")
    record[RESPONDENT_TYPE] = who
    return record


def _completed_by(value: object) -> str | None:
    """Who filled in the form: the stored code ("self") or its place in the list (1 = the
    first); None when they did not want to say."""
    codes = bank().attribute(COMPLETED_BY).codes
    if value is None:
        return None
    if isinstance(value, str) and value in codes:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(codes):
        return codes[value - 1]
    raise InvalidAnswer("The answer to 'Who filled in this form?' is not one of its answers, "
                        "so nothing was saved.")


def _check_kind(wording: str, channel: str) -> None:
    if wording not in WORDINGS:
        raise KhiError(f"wording must be one of {', '.join(WORDINGS)}, not {wording!r}")
    if channel not in CHANNELS or channel == "upload":
        raise KhiError(f"channel must be 'online' or 'paper', not {channel!r}")


def _completed_on(quarter_start: object, today: dt.date) -> dt.date:
    """The date an answer is stored with: today, kept inside the round's quarter, so an
    answer sent in the grace period after it (or before it began) counts for it."""
    start = pd.Timestamp(quarter_start).date()
    return min(max(today, start), quarter_end(start))


def submit(
    store: Store, token: str, answers: dict[str, int | None], *, wording: str,
    channel: str = "online",
) -> int:
    """Store one answer sent through a link; returns its response id.

    Refused (LinkRefused, nothing stored) when the link is unknown, closed, expired,
    rolled back, a personal link already answered, sending too many at once, or an
    answer is not allowed.
    """
    _check_kind(wording, channel)
    unknown = LinkRefused(
        "This link does not work: it may have been copied wrongly. Please check it, or "
        "ask your Shared Lives worker for a new one.")
    if not _well_formed(token):
        raise unknown
    # Before the store is opened: every link together (made-up tokens are each new),
    # then this link at the open link's rate (the larger).
    if not LIMITER.allow("*", *_rate("all_links")) or not LIMITER.allow(
            token_hash(token), *_rate("open_link")):
        raise LinkRefused(_TOO_MANY)
    if not store.exists():
        raise unknown
    with store.transaction() as con:
        found = _lookup(con, store, token)
        if found is None:
            raise unknown
        digest, row = found
        kind = str(row["kind"])
        if kind == "personal" and not LIMITER.allow("personal:" + digest,
                                                    *_rate("personal_link")):
            raise LinkRefused(_TOO_MANY)
        info = _info(row, dt.datetime.now())
        if not info.usable:
            raise LinkRefused(info.reason)
        record = _answer_record(answers, info.who)
        person = row["person_key"] if _is_set(row["person_key"]) else _anonymous_key()
        record.update(
            scheme_id=info.scheme_id, person_key=person,
            completed_on=_completed_on(row["quarter_start"], dt.date.today()),
            channel=channel, wording=wording,
        )
        response_id, _ = store.store_answer(
            con, int(row["upload_id"]), record, by=f"{kind} link",
            what=f"{channel} answer by {kind} link ({wording.replace('_', ' ')})",
        )
        store.mark_answered(con, digest)
    return response_id


def _anonymous_key() -> str:
    """A key for an answer given without a reference (the open link, an anonymous paper
    form): random, so two such answers are two people and link to nothing."""
    return secrets.token_hex(16)


# ------------------------------------------------------------------- paper ---
def paper_questions(who: str, wording: str = "easy_read"):
    """The questions of a paper form, in the paper's order (the printed questionnaire's)."""
    from kpi.questionnaire import questionnaire

    return questionnaire(who, wording).questions


def typed_answer(question, raw: str) -> int | str | None:
    """What staff typed for one question of a returned paper form, as the stored code.

    Blank: nothing was ticked (stored as not answered). A choice is typed as the
    number printed beside it (its stored code; for "who filled in this form", its
    place in the list, 1 the first); "0"... as printed. Anything else is refused
    with the question's own plain message (``kpi.questionnaire.check_answer``).
    """
    from kpi.questionnaire import REFUSAL, BadAnswer, check_answer

    text = (raw or "").strip()
    if not text or text.lower() in ("x", "-", REFUSAL.replace("_", " "), REFUSAL):
        return None
    answered = [o for o in question.options if o.value is not None]
    if (question.kind == "choice" and text.isdigit()
            and not any(isinstance(o.value, int) for o in answered)):
        place = int(text)
        if 1 <= place <= len(answered):
            return answered[place - 1].value
    try:
        return check_answer(question, text)
    except BadAnswer:
        raise BadAnswer(f"'{text}' is not an answer here: type {paper_choices(question)}, "
                        "or leave it blank when nothing was ticked.") from None


def paper_choices(question) -> str:
    """What may be typed for a question, in words: "1 (Never), 2 (Sometimes) or 3 (...)"."""
    if question.kind == "number":
        return f"a whole number from {question.minimum} to {question.maximum}"
    answered = [o for o in question.options if o.value is not None]
    numbered = any(isinstance(o.value, int) for o in answered)
    shown = [f"{o.value if numbered else i} ({o.words})" for i, o in enumerate(answered, 1)]
    return ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else "".join(shown)


def enter_paper(
    store: Store, identity: Scope, *, round_id: int, reference: str | None,
    answers: dict[str, int | None], wording: str, completed_on: dt.date | None = None,
    by: str | None = None,
) -> int:
    """Store a returned paper questionnaire typed by scheme staff (channel "paper").

    ``reference`` (the person's, as on a personal copy) is pseudonymised like an
    upload's, so a later answer of theirs in the quarter is a correction; None for
    an anonymous form. A round still takes paper after it closes or its links
    expire (forms come back late); not after it is rolled back.
    """
    _check_kind(wording, "paper")
    row = _round_for(store, identity, round_id)
    if row["status"] != "stored":
        raise KhiError(f"Survey round {round_id} was rolled back: open a new round to enter "
                       "answers.")
    record = _answer_record(answers, str(row["who"]))
    scheme_id = str(row["scheme_id"])
    if reference is not None and str(reference).strip():
        person = key_for_reference(store.path, scheme_id, reference)
    else:
        person = _anonymous_key()
    day = completed_on or dt.date.today()
    start = pd.Timestamp(row["quarter_start"]).date()
    if completed_on is not None and not start <= completed_on <= quarter_end(start):
        raise KhiError(f"The date on the form ({completed_on:%d %B %Y}) is not in "
                       f"{quarter_label(start)}, the round's quarter: check it.")
    record.update(
        scheme_id=scheme_id, person_key=person, completed_on=_completed_on(start, day),
        channel="paper", wording=wording,
    )
    with store.transaction() as con:
        response_id, _ = store.store_answer(
            con, int(row["upload_id"]), record, by=by or identity.email or "local",
            what=f"paper answer ({wording.replace('_', ' ')})",
        )
    return response_id


def round_quarters(today: dt.date) -> list[str]:
    """The quarters a round may be opened for: this quarter and the next (a round for
    a past quarter would already have ended, see ``expiry``)."""
    return [quarter_label(today), quarter_label(shift_quarter(today, 1))]
