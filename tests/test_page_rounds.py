"""The Survey rounds page: open a round and see its links once, type in a paper form
with each answer checked as typed, close the round (AppTest, local mode)."""

from __future__ import annotations

from apptest_helpers import open_page, static_tables
from builders import make_store

from kpi import collect
from kpi.privacy import key_for_reference


def _texts(at) -> str:
    return "\n".join([*(m.value for m in at.markdown), *(e.value for e in at.error),
                      *(s.value for s in at.success), *(x.value for x in at.code)])


def test_open_a_round_type_a_paper_form_and_close_it(tmp_path, monkeypatch):
    store = make_store(tmp_path / "khi.duckdb", [("S1", "Scheme One", "London")])
    at = open_page(monkeypatch, store, "pages/rounds.py", KHI_NO_DEMO="1")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Survey rounds"

    at.text_area(key="round_refs").input("AB-1\nCD-2\n")
    at.button(key="round_open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    opened, _ = at.session_state["round_opened"]
    assert [ref for ref, _ in opened.personal] == ["AB-1", "CD-2"]
    shown = _texts(at)
    assert collect.link_url("", opened.open_token).lstrip("/") in shown.replace("http://", "")
    assert collect.link_info(store, opened.personal[0][1]).usable
    assert "Download the links (CSV)" in {b.label for b in at.get("download_button")}

    # A paper form: a wrong answer is refused as it is typed, and nothing is stored.
    questions = collect.paper_questions("person", "easy_read")
    first = next(q for q in questions if q.kind == "choice" and q.code != "completed_by")
    at.radio(key="paper_wording").set_value("easy_read").run()
    at.text_input(key="paper_ref_0").input("AB-1")
    at.text_input(key=f"paper_0_{first.code}").input("9").run()
    assert any("'9' is not an answer here" in e.value for e in at.error)
    at.button(key="paper_store").click().run()
    assert any("need" in e.value and "nothing was stored" in e.value for e in at.error)
    assert store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0] == 0

    at.text_input(key=f"paper_0_{first.code}").input("1")
    at.text_input(key="paper_0_completed_by").input("2").run()
    assert not at.error
    at.button(key="paper_store").click().run()
    assert not at.exception, [e.value for e in at.exception]
    rows = store.query("SELECT * FROM responses")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["channel"], row["wording"], row["completed_by"]) == (
        "paper", "easy_read", "with_help")
    assert row[first.code] == 1
    assert row["person_key"] == key_for_reference(store.path, "S1", "AB-1")

    at.button(key="round_close").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not collect.link_info(store, opened.open_token).usable


def test_data_quality_shows_how_people_answered_and_each_rounds_rates(tmp_path, monkeypatch):
    import datetime as dt

    import pandas as pd
    from builders import add_people

    from kpi.periods import parse_quarter, quarter_label
    from kpi.scope import LOCAL_ADMIN

    store = make_store(tmp_path / "khi.duckdb", [("S1", "Scheme One", "London")])
    quarter = quarter_label(dt.date.today())
    add_people(store, "S1", parse_quarter(quarter), pd.DataFrame({"warm_kind": [5] * 6}))
    opened = collect.open_round(store, LOCAL_ADMIN, scheme_id="S1", quarter=quarter,
                                references=[f"R{i}" for i in range(8)])
    for _, token in opened.personal[:6]:
        collect.submit(store, token, {"warm_kind": 1}, wording="easy_read")
    at = open_page(monkeypatch, store, "pages/data_quality.py", state={"dq_khi": "warm_kind"},
                   KHI_NO_DEMO="1")
    assert not at.exception, [e.value for e in at.exception]
    shown = [t.to_csv(index=False) for t in static_tables(at)]
    assert any("Online form" in t and "Survey tool export (upload)" in t for t in shown)
    assert any("Easy read" in t and "Standard wording" in t for t in shown)
    # The round: 8 personal links sent, 6 answered (75%).
    [rates] = [t for t in static_tables(at) if "Personal links sent" in t.columns]
    row = rates.iloc[0]
    assert (row["Personal links sent"], row["Personal links answered"]) == ("8", "75%")


def test_a_round_past_its_end_date_is_called_ended_with_the_store_unchanged(
    tmp_path, monkeypatch
):
    """The page keeps the rounds as read until the store changes (read on every run,
    they took most of a warm Data quality visit), but works out each round's state
    on every run: a round whose end date passes while nobody writes reads "Ended"
    on the next run, from the kept read."""
    import datetime as dt
    import types

    from kpi.periods import quarter_label
    from kpi.scope import LOCAL_ADMIN
    from kpi.store import Store
    from kpi.tables import ROUND_STATE_WORDS

    store = make_store(tmp_path / "khi.duckdb", [("S1", "Scheme One", "London")])
    opened = collect.open_round(store, LOCAL_ADMIN, scheme_id="S1",
                                quarter=quarter_label(dt.date.today()), references=["AB-1"])
    reads: list[str] = []
    query = Store.query

    def counted(self, sql, *args, **kwargs):
        if "FROM rounds r" in sql:
            reads.append(sql)
        return query(self, sql, *args, **kwargs)

    monkeypatch.setattr(Store, "query", counted)
    at = open_page(monkeypatch, store, "pages/rounds.py", KHI_NO_DEMO="1")
    assert list(at.dataframe[0].value["State"]) == [ROUND_STATE_WORDS["open"]]
    stamp, read_before = store.change_stamp(), len(reads)
    assert read_before >= 1

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return opened.expires_at + dt.timedelta(days=1)

    clock = types.ModuleType("datetime")
    clock.__dict__.update(vars(dt))
    clock.datetime = Later
    monkeypatch.setattr(collect, "dt", clock)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.dataframe[0].value["State"]) == [ROUND_STATE_WORDS["expired"]]
    assert store.change_stamp() == stamp  # nothing was written
    assert len(reads) == read_before  # the kept read, not a new one
