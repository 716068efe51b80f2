"""A scheme's own answer words (issue 26 item 7): mapped by the user, never guessed.

A 3-point "Yes, often / Sometimes / No" for "How often do you feel lonely?":
unmapped, every row is set aside and the distinct answers are offered; mapped,
the rows are stored, the mapping is recorded with the upload, saved for the
scheme and tool and used again; a mapping giving opposite answers one code,
or a value that is not an answer, is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi.ingest import answers, ingest_bytes, load_schemes, preview
from kpi.store import Store
from tests.builders import registered_store

SCHEME = "SL001"
OWN = (
    b"Your reference,Date completed,Who is answering?,How often do you feel lonely?\r\n"
    b"R1,14/05/2026,I use Shared Lives,\"Yes, often\"\r\n"
    b"R2,15/05/2026,I use Shared Lives,Sometimes\r\n"
    b"R3,16/05/2026,I use Shared Lives,No\r\n"
    b"R4,17/05/2026,I use Shared Lives,Never\r\n"  # one of ours already
)
KEY = "how often do you feel lonely"
MAPPING = {KEY: {"Yes, often": "1", "Sometimes": "2", "No": "5"}}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store with the register loaded (a copy of one built once)."""
    return registered_store(tmp_path / "khi.duckdb", b"scheme_id,name,region\nSL001,A,North West\n")


def _lonely(store: Store) -> list[int | None]:
    frame = store.query("SELECT lonely_how_often FROM responses ORDER BY source_row")
    return [int(v) for v in frame["lonely_how_often"]]


def test_answers_not_ours_are_set_aside_and_offered_never_guessed(store: Store) -> None:
    result = preview(store, OWN, "own.csv", SCHEME)
    assert (result.accepted, result.rejected) == (1, 3)
    [column] = result.answer_columns
    assert column["key"] == KEY and column["answers"] == ["Yes, often", "Sometimes", "No"]


def test_a_mapped_scale_is_stored_recorded_saved_and_used_again(store: Store) -> None:
    result = ingest_bytes(store, OWN, "own.csv", SCHEME, answers=MAPPING)
    assert (result.accepted, result.rejected) == (4, 0), result.problems
    assert _lonely(store) == [1, 2, 5, 5]
    note = store.uploads()["note"].tolist()[0]
    assert "'yes, often' as 'Often or always'" in note and "'no' as 'Never'" in note
    store.save_mappings(SCHEME, answers.to_save(result.layout, MAPPING))
    again = preview(store, OWN.replace(b"R", b"Q"), "next.csv", SCHEME)
    assert (again.accepted, again.rejected) == (4, 0)
    assert again.answer_columns[0]["mapped"] == {"yes, often": "1", "sometimes": "2",
                                                 "no": "5"}
    # Saved for this survey tool only: another tool's file is asked again.
    other = answers.remembered(store.saved_mappings(SCHEME), "google_forms")
    assert other == {}


@pytest.mark.parametrize("mapping, said", [
    ({"Yes, often": "1", "Sometimes": "2", "No": "1"}, "say opposite things"),
    ({"Yes, often": "9", "Sometimes": "2", "No": "5"}, "not one of the answers"),
])
def test_a_mapping_that_makes_no_sense_is_refused(store: Store, mapping, said) -> None:
    result = ingest_bytes(store, OWN, "own.csv", SCHEME, answers={KEY: mapping})
    assert result.refused and said in result.message and store.is_empty()


def test_uploads_read_with_own_words_are_told_apart_on_data_quality(
    store: Store, monkeypatch
) -> None:
    """The Data quality page lists each upload read with a scheme's own words, with the
    recorded words, to those who may see its scheme; Definitions says what it means."""
    from kpi.scope import add_user
    from tests.apptest_helpers import open_page, static_tables

    assert not load_schemes(store, b"scheme_id,name,region\nSL002,B,London\n").refused
    result = ingest_bytes(store, OWN, "own.csv", SCHEME, answers=MAPPING)
    assert result.accepted == 4
    mapped = answers.own_answer_uploads(store.uploads())
    assert list(mapped["column"]) == ["How often do you feel lonely?"]
    assert "'yes, often' as 'Often or always'" in mapped["read_as"].iloc[0]
    add_user(store, "own@scheme.example", "scheme", [SCHEME], by="test")
    add_user(store, "other@scheme.example", "scheme", ["SL002"], by="test")

    def listed(**env: str) -> bool:
        at = open_page(monkeypatch, store, "pages/data_quality.py", **env)
        assert not at.exception
        return any("Often or always" in " ".join(map(str, t.to_numpy().ravel()))
                   for t in static_tables(at))

    assert listed()  # the administrator (local mode)
    assert listed(KHI_AS="own@scheme.example")
    assert not listed(KHI_AS="other@scheme.example")  # another scheme's upload
    at = open_page(monkeypatch, store, "pages/definitions.py")
    assert "A scheme's own answer words" in " ".join(m.value for m in at.markdown)
