"""The Upload and Data quality pages under Streamlit's AppTest.

Both pages run on the shared demo store and on an empty store; Data quality
shows the engine's numbers; an upload goes all the way through (preview,
hand mapping, confirm, history, rollback) on a store of its own, never on the
shared demo store.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kpi import indicators as engine
from kpi import ingest
from kpi.indicators import Filters
from kpi.periods import parse_quarter, quarter_label
from kpi.scope import add_user
from kpi.store import Store
from pages.views import data_quality
from tests.apptest_helpers import dataframe_with, open_page, static_tables

PROJECT_DIR = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT_DIR / "tests" / "samples"
GOOGLE_FORMS = SAMPLES / "google_forms_sample.csv"
SCHEME = "SL900"
REGISTER = (
    b"scheme_id,name,region,local_authority,cqc_rating,cqc_rating_date\r\n"
    b"SL900,Tamar Valley Shared Lives,South West,Tamar Council,Good,2025-03-01\r\n"
    b"SL901,Ouse Meadows Shared Lives,Yorkshire and the Humber,Ouse Council,Outstanding,\r\n"
)
UNRECOGNISED = "anything else you would like to tell us"


# ------------------------------------------------------------------ fixtures ---
@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    """Cached engine calls are keyed on the store path, but stores come and go: start clean."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture(scope="session")
def registered_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store with two schemes registered, built once and copied per test."""
    store = Store(tmp_path_factory.mktemp("registered") / "khi.duckdb")
    store.init()
    result = ingest.load_schemes(store, REGISTER, "register.csv")
    assert not result.refused, result.message
    return store.path


@pytest.fixture
def upload_store(registered_template: Path, tmp_path: Path) -> Store:
    """A store of this test's own, with schemes and no answers: uploads write here."""
    path = tmp_path / "khi.duckdb"
    shutil.copy(registered_template, path)
    return Store(path)


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def choose_file(at: AppTest, path: Path, name: str | None = None) -> AppTest:
    uploader = next(u for u in at.file_uploader if (u.key or "").startswith("upload_file_"))
    uploader.set_value((name or path.name, path.read_bytes(), "text/csv"))
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The first table shown with this column, grid or static (AppTest does not
    expose a dataframe's key)."""
    return dataframe_with(at, column)


def mapping_key(at: AppTest) -> str:
    return next(s.key for s in at.selectbox if (s.key or "").startswith("upload_map_"))


# -------------------------------------------------------------- upload page ---
def test_upload_page_on_demo_store(demo_store: Store, monkeypatch) -> None:
    at = open_page(monkeypatch, demo_store, "pages/upload.py")
    assert not at.exception
    assert [t.value for t in at.title] == ["Upload"]
    assert at.selectbox(key="upload_scheme").value in set(demo_store.schemes()["scheme_id"])
    labels = {b.label for b in at.get("download_button")}
    assert {
        "Survey template (CSV)",
        "Survey template (Excel)",
        "Activity return template (CSV)",
    } <= labels
    history = table(at, "When")
    assert list(history["Kind"]) == ["Demo data"]
    # The demo upload is not offered for rollback: reload the demo instead.
    assert "no stored upload to roll back" in texts(at.caption)


def test_scheme_box_names_schemes_and_offers_several_for_an_activity_return(
    demo_store: Store, monkeypatch
) -> None:
    register = demo_store.schemes()
    at = open_page(monkeypatch, demo_store, "pages/upload.py")
    box = at.selectbox(key="upload_scheme")
    first = register.iloc[0]
    assert box.options[0] == f"{first['name']} ({first['scheme_id']})"
    assert len(box.options) == len(register)
    # An activity return may cover several schemes (its own Scheme ID column).
    at.radio(key="upload_kind").set_value("activity").run()
    assert not at.exception
    box = at.selectbox(key="upload_scheme")
    assert box.options[0] == "Several schemes (the file has a Scheme ID column)"
    assert len(box.options) == len(register) + 1


def test_upload_page_on_empty_store(fresh_store: Store, monkeypatch) -> None:
    at = open_page(monkeypatch, fresh_store, "pages/upload.py", KHI_NO_DEMO="1")
    assert not at.exception
    assert "no schemes in the register" in texts(at.info)
    assert "Nothing has been uploaded yet." in texts(at.caption)
    assert not at.file_uploader


def test_google_forms_upload_preview_confirm_and_history(
    upload_store: Store, monkeypatch
) -> None:
    at = open_page(monkeypatch, upload_store, "pages/upload.py", KHI_NO_DEMO="1")
    at.selectbox(key="upload_scheme").set_value(SCHEME).run()
    choose_file(at, GOOGLE_FORMS)
    assert not at.exception, [e.value for e in at.exception]
    expected = ingest.preview(upload_store, GOOGLE_FORMS.read_bytes(), GOOGLE_FORMS.name, SCHEME)
    assert "Read as a **Google Forms export**." in texts(at.markdown)
    assert metrics(at) == {
        "Rows read": "13",
        "Rows to store": f"{expected.accepted}",
        "Set aside": f"{expected.rejected}",
        "Duplicates": "0",
        "Corrections": "0",
    }
    assert expected.accepted == 12 and expected.rejected == 1
    mapping = table(at, "Heading in your file")
    assert list(mapping["Heading in your file"]) == [m.header for m in expected.columns]
    assert dict(zip(mapping["Column"], mapping["Code"]))["H"] == "lonely_how_often"
    assert mapping["Status"].iloc[-1].startswith("✗ Not recognised")
    assert mapping["Status"].iloc[0] == "✓ Recognised (the survey tool's completion time)"
    problems = table(at, "Problem")
    assert problems.to_dict("records") == [
        {"Row": p.row, "Column": p.column, "Problem": p.reason} for p in expected.problems
    ]
    assert upload_store.is_empty()  # the preview stores nothing

    at.button(key="upload_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "12 responses stored" in texts(at.success)
    stored = upload_store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0]
    assert stored == 12
    assert "Rows set aside, to fix (CSV)" in {b.label for b in at.get("download_button")}
    history = table(at, "When")
    assert history.iloc[0][["File", "Stored", "Set aside", "Status"]].tolist() == [
        GOOGLE_FORMS.name, 12, 1, "Stored",
    ]
    # The file picker is empty again, so the stored file is not previewed twice.
    assert not any(m.label == "Rows to store" for m in at.metric)


def test_hand_mapping_is_used_and_saved_for_the_scheme(upload_store: Store, monkeypatch) -> None:
    at = open_page(monkeypatch, upload_store, "pages/upload.py", KHI_NO_DEMO="1")
    at.selectbox(key="upload_scheme").set_value(SCHEME).run()
    choose_file(at, GOOGLE_FORMS)
    assert "not recognised" in texts(at.warning)
    at.selectbox(key=mapping_key(at)).set_value("").run()  # "Ignore this column"
    assert "not recognised" not in texts(at.warning)
    at.checkbox(key="upload_save_mapping").check().run()
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    assert "Your column choices are saved for this scheme." in texts(at.info)
    assert upload_store.saved_mappings(SCHEME) == {UNRECOGNISED: ""}


def test_refused_file_says_what_to_do_and_stores_nothing(
    upload_store: Store, monkeypatch, tmp_path: Path
) -> None:
    activity = tmp_path / "activity.csv"
    activity.write_bytes(
        b"Scheme ID,Quarter,Long-term,Short breaks,Day support\r\nSL900,2026/27 Q1,4,5,6\r\n"
    )
    at = open_page(monkeypatch, upload_store, "pages/upload.py", KHI_NO_DEMO="1")
    at.selectbox(key="upload_scheme").set_value(SCHEME).run()
    choose_file(at, activity)
    assert not at.exception
    error = texts(at.error)
    assert "None of the columns in this file match the survey questions" in error
    assert "activity return" in error
    assert "Nothing from this file has been stored." in texts(at.caption)
    assert not [b for b in at.button if b.key == "upload_confirm"]
    assert upload_store.query("SELECT count(*) AS n FROM uploads")["n"].iloc[0] == 0


def test_rollback_asks_first_then_removes_the_upload(upload_store: Store, monkeypatch) -> None:
    result = ingest.ingest_bytes(upload_store, GOOGLE_FORMS.read_bytes(), "gf.csv", SCHEME)
    assert result.accepted == 12
    at = open_page(monkeypatch, upload_store, "pages/upload.py", KHI_NO_DEMO="1")
    assert at.selectbox(key="rollback_upload").value == result.upload_id
    at.button(key="rollback_start").click().run()
    assert "cannot be undone" in texts(at.warning)
    assert upload_store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0] == 12
    at.button(key="rollback_cancel").click().run()
    assert not [b for b in at.button if b.key == "rollback_confirm"]
    at.button(key="rollback_start").click().run()
    at.button(key="rollback_confirm").click().run()
    assert not at.exception
    assert f"Upload {result.upload_id} rolled back: 12 rows removed" in texts(at.success)
    assert upload_store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0] == 0
    history = table(at, "When")
    assert history.iloc[0]["Status"] == "Rolled back"


def test_scheme_staff_cannot_roll_back(upload_store: Store, monkeypatch) -> None:
    ingest.ingest_bytes(upload_store, GOOGLE_FORMS.read_bytes(), "gf.csv", SCHEME)
    add_user(upload_store, "staff@scheme.example", "scheme", [SCHEME], by="test")
    at = open_page(
        monkeypatch, upload_store, "pages/upload.py", KHI_NO_DEMO="1",
        KHI_AS="staff@scheme.example",
    )
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == "rollback_upload"]


def test_upload_history_shows_a_scheme_user_only_their_own_uploads(
    upload_store: Store, monkeypatch
) -> None:
    # SL901's file of a few people is someone else's: its row counts are the base of
    # a hidden cell, and a scheme worker of SL900 must not read them in the history.
    ingest.ingest_bytes(upload_store, GOOGLE_FORMS.read_bytes(), "gf.csv", SCHEME)
    other = ingest.ingest_bytes(upload_store, GOOGLE_FORMS.read_bytes(), "gf.csv", "SL901")
    assert other.accepted > 0
    add_user(upload_store, "staff@scheme.example", "scheme", [SCHEME], by="test")
    at = open_page(
        monkeypatch, upload_store, "pages/upload.py", KHI_NO_DEMO="1",
        KHI_AS="staff@scheme.example",
    )
    history = table(at, "Rows read")
    names = dict(zip(upload_store.schemes()["scheme_id"], upload_store.schemes()["name"]))
    assert len(history) == 1 and history["Scheme"].tolist() == [names[SCHEME]]


def test_scope_limits_the_schemes_offered(upload_store: Store, monkeypatch) -> None:
    add_user(upload_store, "staff@scheme.example", "scheme", ["SL901"], by="test")
    at = open_page(
        monkeypatch, upload_store, "pages/upload.py", KHI_NO_DEMO="1",
        KHI_AS="staff@scheme.example",
    )
    assert at.selectbox(key="upload_scheme").options == ["Ouse Meadows Shared Lives (SL901)"]


# -------------------------------------------------------- data quality page ---
def latest_label(store: Store) -> str:
    return quarter_label(engine.available_quarters(store)[-1])


def test_data_quality_on_demo_store_shows_the_engines_numbers(
    demo_store: Store, monkeypatch
) -> None:
    closed = open_page(monkeypatch, demo_store, "pages/data_quality.py")
    assert not any("Response rate" in f.columns for f in static_tables(closed))  # on demand
    at = open_page(monkeypatch, demo_store, "pages/data_quality.py",
                   state={data_quality.EVERY_SCHEME.key: True})
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Data quality"]
    label = latest_label(demo_store)
    filters = Filters()

    rates = engine.response_rates(demo_store, filters)
    rates = rates[[quarter_of(q) == label for q in rates["quarter"]]]
    names = dict(zip(demo_store.schemes()["scheme_id"], demo_store.schemes()["name"]))
    # A rate is hidden with its responses, or with its people supported (an
    # activity count hidden by the same rule).
    hidden = (rates["suppressed"].fillna(False).astype(bool)
              | rates["people_suppressed"].astype(bool))
    expected = {
        names[scheme]: "too few to show" if h else ("–" if pd.isna(rate) else f"{rate:.0f}%")
        for scheme, rate, h in zip(rates["scheme_id"], rates["rate"], hidden)
    }
    shown = table(at, "Response rate")
    assert dict(zip(shown["Scheme"], shown["Response rate"])) == expected
    # Lowest first, hidden and unknown rates last: the schemes to look at on top.
    order = [float(r.rstrip("%")) if r.endswith("%") else float("inf")
             for r in shown["Response rate"]]
    assert order == sorted(order) and len(set(order)) > 2
    assert (shown["Response rate"] == "too few to show").sum() == hidden.sum()

    missing = engine.missing_returns(demo_store, label)
    if len(missing):
        assert sorted(table(at, "Scheme ID")["Scheme ID"]) == sorted(missing["scheme_id"])
        assert f"{len(missing)} scheme" in texts(at.markdown)
    else:
        assert "Every scheme shown has sent its activity return" in texts(at.success)

    items = engine.item_completeness(demo_store, label, filters)
    shares = table(at, "Share answered")
    assert list(shares["Code"]) == list(items["item"])
    assert list(shares["Share answered"]) == [
        "too few to show" if h else f"{v:.0f}%"
        for v, h in zip(items["share"], items["suppressed"].fillna(False).astype(bool))
    ]


def quarter_of(value: object) -> str:
    """A quarter label from a date or a label, as the page shows it."""
    if isinstance(value, str):
        return quarter_label(parse_quarter(value))
    return quarter_label(pd.Timestamp(value).date())


def test_data_quality_on_empty_store(fresh_store: Store, monkeypatch) -> None:
    at = open_page(monkeypatch, fresh_store, "pages/data_quality.py", KHI_NO_DEMO="1")
    assert not at.exception
    assert "no survey data yet" in texts(at.info)
    assert not at.dataframe and not static_tables(at)
