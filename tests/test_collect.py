"""Survey rounds and links (kpi.collect): tokens kept hashed, links that stop, answers
stored by the upload rules with their channel and wording, rollback, the rate limit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import add_people, make_store

from kpi import collect
from kpi.collect import InvalidAnswer, LinkRefused, RateLimiter
from kpi.errors import KhiError
from kpi.items import bank
from kpi.periods import parse_quarter, quarter_label
from kpi.privacy import key_for_reference
from kpi.scope import AccessError, Scope
from kpi.store import SCHEMA_VERSION

QUARTER = quarter_label(dt.date.today())
STAFF = Scope(role="scheme", email="staff@s1.example", scheme_ids=("S1",))
ADMIN = Scope(role="admin", email="admin@example.org")
ANSWERS = {"swemwbs_1": 4, "swemwbs_2": 3, "completed_by": "self", "respondent_type": "person"}


@pytest.fixture(autouse=True)
def _fresh_limiter():
    collect.LIMITER.clear()
    yield
    collect.LIMITER.clear()


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "khi.duckdb",
                      [("S1", "Scheme One", "London"), ("S2", "Scheme Two", "Wales")])


def _person_items() -> dict[str, int]:
    """Answers that are certainly on the person form: the first two person items."""
    items = [i for i in bank().items if i.audience in ("person", "all")][:2]
    return {i.code: i.scale.min for i in items}


def _count(store, where: str = "TRUE", params=()) -> int:
    return int(store.query(f"SELECT count(*) AS n FROM responses WHERE {where}",
                           list(params))["n"].iloc[0])


def _every_text(store) -> str:
    """Every value of every table of the store, as text (to look for what must not be there)."""
    tables = store.query("SELECT table_name FROM information_schema.tables")["table_name"]
    parts = []
    with store.reading():  # one connection for the lot
        for table in tables:
            frame = store.query(f'SELECT * FROM "{table}"')
            parts.append(frame.astype(str).to_csv(index=False))
    return "\n".join(parts)


def test_tokens_and_references_are_never_stored(store):
    refs = ["AB-1001", "cd 2002", "EF3003"]
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER, references=refs)
    assert len(opened.personal) == 3 and len(opened.open_token) == 43
    collect.submit(store, opened.personal[0][1], _person_items(), wording="easy_read")
    text = _every_text(store)
    for token in [opened.open_token, *(t for _, t in opened.personal)]:
        assert token not in text
        assert collect.token_hash(token) in text  # what is kept instead
    for ref in refs:
        assert ref not in text and ref.upper() not in text and ref.lower() not in text
    keys = set(store.query("SELECT person_key FROM round_links WHERE kind = 'personal'")
               ["person_key"])
    assert keys == {key_for_reference(store.path, "S1", r) for r in refs}


def test_links_as_full_addresses(store):
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER,
                                references=["R1", " r1 ", "", "R2"])
    links = opened.links("https://khi.example.org/")
    assert list(links["kind"]) == ["open", "personal", "personal"]  # R1 once, blank left out
    assert links["url"].iloc[0] == "https://khi.example.org/answer/" + opened.open_token
    info = collect.link_info(store, opened.open_token)
    assert info == collect.LinkInfo(opened.round_id, "S1", QUARTER, "open", "person", True, "")


def test_tampered_or_unknown_token_stores_nothing(store):
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER)
    token = opened.open_token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, token[:-1], token + "x", "", "../../etc/passwd"):
        assert collect.link_info(store, bad) is None
        with pytest.raises(LinkRefused, match="does not work"):
            collect.submit(store, bad, _person_items(), wording="easy_read")
    assert _count(store) == 0


def test_personal_link_answers_once_then_a_later_answer_is_a_correction(store):
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER,
                                references=["AB-1001"])
    token = opened.personal[0][1]
    first = collect.submit(store, token, {**_person_items(), "completed_by": 1},
                           wording="easy_read")
    row = store.query("SELECT * FROM responses WHERE response_id = ?", [first]).iloc[0]
    assert row["channel"] == "online" and row["wording"] == "easy_read"
    assert row["person_key"] == key_for_reference(store.path, "S1", "ab-1001")
    assert row["completed_by"] == "self" and row["respondent_type"] == "person"
    assert pd.Timestamp(row["quarter_start"]).date() == parse_quarter(QUARTER)

    info = collect.link_info(store, token)
    assert not info.usable and "sent already" in info.reason
    with pytest.raises(LinkRefused, match="sent already"):
        collect.submit(store, token, _person_items(), wording="easy_read")
    assert _count(store) == 1

    # The same person's paper form, typed the same day with other answers: a correction.
    other = {code: value + 1 for code, value in _person_items().items()}
    second = collect.enter_paper(store, STAFF, round_id=opened.round_id, reference="AB-1001",
                                 answers=other, wording="standard")
    assert _count(store) == 1 and second != first
    stored = store.query("SELECT * FROM responses").iloc[0]
    assert stored["channel"] == "paper" and stored["wording"] == "standard"
    history = store.query("SELECT response_id, channel FROM response_history")
    assert list(history["response_id"]) == [first] and list(history["channel"]) == ["online"]
    upload = store.query("SELECT * FROM uploads WHERE upload_id = ?", [opened.upload_id]).iloc[0]
    assert (upload["kind"], upload["accepted"], upload["corrected"]) == ("round", 2, 1)


def test_open_link_twice_is_two_responses(store):
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER)
    a = collect.submit(store, opened.open_token, _person_items(), wording="easy_read")
    b = collect.submit(store, opened.open_token, _person_items(), wording="standard")
    assert a != b
    rows = store.query("SELECT person_key, wording FROM responses ORDER BY response_id")
    assert len(rows) == 2 and rows["person_key"].nunique() == 2
    assert list(rows["wording"]) == ["easy_read", "standard"]
    assert collect.link_info(store, opened.open_token).usable


def test_closed_round_closed_link_and_expired_link_store_nothing(store):
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER,
                                references=["P1", "P2"])
    collect.close_link(store, STAFF, opened.personal[0][1])
    with pytest.raises(LinkRefused, match="closed"):
        collect.submit(store, opened.personal[0][1], _person_items(), wording="easy_read")
    assert collect.link_info(store, opened.personal[1][1]).usable  # the others go on

    with store.transaction() as con:
        con.execute("UPDATE round_links SET expires_at = ? WHERE token_hash = ?",
                    [dt.datetime.now() - dt.timedelta(minutes=1),
                     collect.token_hash(opened.personal[1][1])])
    with pytest.raises(LinkRefused, match="ended on"):
        collect.submit(store, opened.personal[1][1], _person_items(), wording="easy_read")

    collect.close_round(store, STAFF, opened.round_id)
    info = collect.link_info(store, opened.open_token)
    assert not info.usable and "closed" in info.reason
    with pytest.raises(LinkRefused, match="closed"):
        collect.submit(store, opened.open_token, _person_items(), wording="easy_read")
    assert _count(store) == 0
    listed = collect.rounds(store, STAFF)
    assert list(listed["state"]) == ["closed"] and list(listed["links_sent"]) == [2]


def test_rollback_removes_the_rounds_answers_and_stops_its_links(store):
    people = pd.DataFrame({"swemwbs_1": [3, 4]})
    add_people(store, "S1", parse_quarter(QUARTER), people)
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER)
    for _ in range(3):
        collect.submit(store, opened.open_token, _person_items(), wording="easy_read")
    collect.enter_paper(store, STAFF, round_id=opened.round_id, reference=None,
                        answers=_person_items(), wording="easy_read")
    assert _count(store) == 6
    listed = collect.rounds(store, STAFF).iloc[0]
    assert (listed["online_answers"], listed["paper_answers"]) == (3, 1)
    history = store.uploads()
    assert opened.upload_id in set(history.loc[history["kind"] == "round", "upload_id"])

    store.rollback(opened.upload_id, by="admin@example.org")
    changes = store.changes()
    rolled = changes[changes["action"] == "upload rolled back"]["detail"]
    assert list(rolled) == ["Survey round " + QUARTER + " (people) (survey round) for "
                            "Scheme One (S1): 4 rows removed"]
    assert _count(store) == 2  # the upload's rows stay
    assert _count(store, "upload_id = ?", [opened.upload_id]) == 0
    info = collect.link_info(store, opened.open_token)
    assert not info.usable and "withdrawn" in info.reason
    with pytest.raises(LinkRefused):
        collect.submit(store, opened.open_token, _person_items(), wording="easy_read")
    with pytest.raises(KhiError, match="rolled back"):
        collect.enter_paper(store, STAFF, round_id=opened.round_id, reference=None,
                            answers=_person_items(), wording="easy_read")
    assert _count(store) == 2


def test_rate_limit_refuses_politely_and_stores_nothing(store, monkeypatch):
    monkeypatch.setitem(bank().settings, "open_link_burst", 3)
    monkeypatch.setitem(bank().settings, "open_link_per_minute", 1)
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER)
    for _ in range(3):
        collect.submit(store, opened.open_token, _person_items(), wording="easy_read")
    with pytest.raises(LinkRefused, match="wait a minute"):
        collect.submit(store, opened.open_token, _person_items(), wording="easy_read")
    assert _count(store) == 3


def test_rate_limiter_refills_and_stays_bounded():
    now = [0.0]
    limiter = RateLimiter(max_links=100, clock=lambda: now[0])
    assert [limiter.allow("a", 2, 60) for _ in range(3)] == [True, True, False]
    now[0] += 1.0  # 60 a minute: one more after a second
    assert limiter.allow("a", 2, 60) and not limiter.allow("a", 2, 60)
    for i in range(10_000):  # a flood of made-up links
        limiter.allow(f"junk{i}", 2, 60)
    assert len(limiter) == 100


def test_answers_are_checked_as_an_upload_checks_them(store):
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER)
    token = opened.open_token
    code, scale = next((i.code, i.scale) for i in bank().items if i.audience == "person")
    carer_item = next(i.code for i in bank().items if i.audience == "carer")
    bad = [
        {code: scale.max + 1},
        {code: "3"},
        {code: True},
        {"not_an_item": 1},
        {carer_item: 1},
        {code: 1, "completed_by": "the cat"},
        {code: 1, "respondent_type": "carer"},
        {"completed_by": "self"},
        {},
    ]
    for answers in bad:
        with pytest.raises(InvalidAnswer):
            collect.submit(store, token, answers, wording="easy_read")
    with pytest.raises(KhiError):
        collect.submit(store, token, {code: 1}, wording="large_print")
    with pytest.raises(KhiError):
        collect.submit(store, token, {code: 1}, wording="standard", channel="upload")
    assert _count(store) == 0
    assert collect.submit(store, token, {code: None}, wording="easy_read")  # declined: kept


def test_rounds_only_for_schemes_in_reach(store):
    with pytest.raises(AccessError):
        collect.open_round(store, STAFF, scheme_id="S2", quarter=QUARTER)
    board = Scope(role="commissioner", email="c@example.org", scheme_ids=("S1",))
    with pytest.raises(AccessError):
        collect.open_round(store, board, scheme_id="S1", quarter=QUARTER)
    opened = collect.open_round(store, ADMIN, scheme_id="S2", quarter=QUARTER, who="carer")
    with pytest.raises(AccessError):
        collect.close_round(store, STAFF, opened.round_id)
    with pytest.raises(AccessError):
        collect.enter_paper(store, STAFF, round_id=opened.round_id, reference="X",
                            answers=_person_items(), wording="standard")
    assert collect.rounds(store, STAFF).empty
    assert list(collect.rounds(store, ADMIN)["who"]) == ["carer"]
    with pytest.raises(KhiError, match="expired already"):
        collect.open_round(store, ADMIN, scheme_id="S1", quarter="2020/21 Q1")


def test_answers_stored_before_rounds_are_uploads_in_standard_wording(store):
    add_people(store, "S1", parse_quarter(QUARTER), pd.DataFrame({"swemwbs_1": [3]}))
    row = store.query("SELECT channel, wording FROM responses").iloc[0]
    assert (row["channel"], row["wording"]) == ("upload", "standard")
    changes = store.changes()
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER)
    collect.submit(store, opened.open_token, _person_items(), wording="easy_read")
    actions = list(store.changes()["action"])
    assert len(actions) == len(changes) + 2
    assert {"round opened", "answer stored"} <= set(actions)


def test_a_version_3_store_is_upgraded_its_answers_uploads_in_standard_wording(store):
    add_people(store, "S1", parse_quarter(QUARTER), pd.DataFrame({"swemwbs_1": [3, 5]}))
    with store.connect(write=True) as con:  # what a version 3 store looked like
        for table in ("responses", "response_history"):
            con.execute(f"ALTER TABLE {table} DROP COLUMN channel")
            con.execute(f"ALTER TABLE {table} DROP COLUMN wording")
        con.execute("DROP TABLE rounds")
        con.execute("DROP TABLE round_links")
        con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    store.ensure()
    assert store.schema_version() == SCHEMA_VERSION == 5
    rows = store.query("SELECT channel, wording FROM responses")
    assert set(map(tuple, rows.to_numpy())) == {("upload", "standard")} and len(rows) == 2
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER)
    collect.submit(store, opened.open_token, _person_items(), wording="easy_read")
    assert _count(store, "channel = 'online'") == 1


def test_khis_break_down_by_channel_and_wording_and_rates_per_round(store):
    from kpi.indicators import Settings, indicator_table

    start = parse_quarter(QUARTER)
    add_people(store, "S1", start, pd.DataFrame({"warm_kind": [5, 5, 5]}))  # uploads: agree
    with store.transaction() as con:
        upload = store.new_upload(con, scheme_id="S1", kind="activity", file_name="a.csv",
                                  sha256=None, uploaded_by="t", layout="template")
        store.store_activity(con, upload, pd.DataFrame(
            {"scheme_id": ["S1"], "quarter_start": [start], "long_term": [8],
             "short_break": [2]}))
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER,
                                references=["A", "B", "C", "D"])
    for _, token in opened.personal[:2]:  # online, easy read: disagree
        collect.submit(store, token, {"warm_kind": 1}, wording="easy_read")
    collect.enter_paper(store, STAFF, round_id=opened.round_id, reference="C",
                        answers={"warm_kind": 2}, wording="standard")
    table = indicator_table(store, khis=["warm_kind"], by=["channel"], quarter=QUARTER,
                            settings=Settings(min_base=1, min_compare=1))
    n = dict(zip(table["channel"], table["n"]))
    assert n == {"upload": 3, "online": 2, "paper": 1}
    value = dict(zip(table["channel"], table["value"]))
    assert value["upload"] > value["online"] and value["online"] == value["paper"]
    by_wording = indicator_table(store, khis=["warm_kind"], by=["wording"], quarter=QUARTER,
                                 settings=Settings(min_base=1, min_compare=1))
    assert dict(zip(by_wording["wording"], by_wording["n"])) == {"standard": 4, "easy_read": 2}

    rates = collect.round_rates(store, STAFF).iloc[0]
    assert (rates["links_sent"], rates["answers"], rates["people_supported"]) == (4, 3, 10)
    assert rates["links_answered_pct"] == 50.0 and rates["people_pct"] == 30.0
    viewer = Scope(role="commissioner", email="c@example.org", regions=("London",))
    assert collect.round_rates(store, viewer).empty


def test_erasing_a_person_closes_their_personal_link_and_forgets_their_key(store):
    opened = collect.open_round(store, STAFF, scheme_id="S1", quarter=QUARTER,
                                references=["AB-1", "CD-2"])
    collect.submit(store, opened.personal[0][1], _person_items(), wording="easy_read")
    key = key_for_reference(store.path, "S1", "AB-1")
    store.erase_person("S1", key, by="dpo@example.org")
    assert key not in _every_text(store)
    assert _count(store) == 0
    with pytest.raises(LinkRefused, match="closed"):
        collect.submit(store, opened.personal[0][1], _person_items(), wording="easy_read")
    assert collect.link_info(store, opened.personal[1][1]).usable  # the others go on
