"""The questionnaire is generated from the item bank: the bank says what people are asked."""

from __future__ import annotations

import dataclasses
import re

import pytest

from kpi import pictures
from kpi.errors import KhiError
from kpi.items import Item, bank
from kpi.questionnaire import (
    COMPLETED_BY,
    REFUSAL,
    BadAnswer,
    check_answer,
    easy_read,
    is_licensed,
    questionnaire,
)

LICENSED_PREFIXES = ("swemwbs_", "ons_", "ucla_")


def bank_with_new_item(**overrides):
    """The real bank plus one item, as a scheme would add it to items.toml."""
    b = bank()
    spec = dict(
        code="garden_time", text="I spend time in the garden when I want to",
        scale=b.scales["agree5"], audience="person", domain="Wellbeing",
    )
    spec.update(overrides)
    return dataclasses.replace(b, items=(*b.items, Item(**spec)))


@pytest.mark.parametrize("who", ["person", "carer"])
@pytest.mark.parametrize("wording", ["easy_read", "standard"])
def test_asks_the_banks_items_for_its_audience_then_who_filled_it_in(who, wording) -> None:
    q = questionnaire(who, wording)
    expected = [i.code for i in bank().items if i.audience in (who, "all")]
    assert [x.code for x in q.questions] == [*expected, COMPLETED_BY]
    assert (q.who, q.wording) == (who, wording)


def test_person_and_carer_versions_differ_by_audience() -> None:
    person = {x.code for x in questionnaire("person").questions}
    carer = {x.code for x in questionnaire("carer").questions}
    assert "friends_count" in person and "friends_count" not in carer
    assert "carer_break_fits" in carer and "carer_break_fits" not in person
    assert "swemwbs_1" in person & carer


def test_a_new_bank_item_is_asked_in_standard_words_until_easy_words_are_written() -> None:
    b = bank_with_new_item()
    for wording in ("easy_read", "standard"):
        q = questionnaire("person", wording, bank=b)
        new = q.question("garden_time")
        assert new.text == new.standard_text == "I spend time in the garden when I want to"
        assert [o.value for o in new.options] == [1, 2, 3, 4, 5, None]
        assert q.questions[-1].code == COMPLETED_BY  # still asked last
    assert "garden_time" not in {x.code for x in questionnaire("carer", bank=b).questions}
    carer_item = bank_with_new_item(code="carer_garden", audience="carer")
    assert "carer_garden" in {x.code for x in questionnaire("carer", bank=carer_item).questions}


def test_licensed_items_keep_their_exact_bank_wording_and_labels() -> None:
    b = bank()
    seen = 0
    for item in b.items:
        if not item.code.startswith(LICENSED_PREFIXES) and item.code != "social_contact":
            continue
        seen += 1
        assert is_licensed(item.code)
        who = "carer" if item.audience == "carer" else "person"
        q = questionnaire(who, "easy_read").question(item.code)
        assert q.licensed and q.text == item.text
        labels = dict(item.scale.values)
        for option in q.options:
            if option.value is None:
                continue
            if item.scale.labelled:
                assert option.words == labels[option.value]
            else:  # 0-10: the number, and the bank's own end labels
                assert option.words.split(" – ")[0] == str(option.value)
                if option.value in labels:
                    assert option.words.endswith(labels[option.value])
    assert seen == 7 + 4 + 3 + 1


def test_our_own_items_have_easy_words_kept_beside_the_standard_ones() -> None:
    data = easy_read()
    own = [i for i in bank().items if not is_licensed(i.code)]
    assert own, "the bank has items of our own"
    for item in own:
        assert item.code in data["items"], f"{item.code}: no easy words in bank/easy_read.toml"
        who = "carer" if item.audience == "carer" else "person"
        easy = questionnaire(who, "easy_read").question(item.code)
        standard = questionnaire(who, "standard").question(item.code)
        assert easy.text == data["items"][item.code]
        assert standard.text == easy.standard_text == item.text
        assert [o.value for o in easy.options] == [o.value for o in standard.options]
    agree = questionnaire("person", "easy_read").question("warm_kind")
    assert agree.options[-2].words == "I agree a lot"
    standard = questionnaire("person", "standard").question("warm_kind")
    assert standard.options[-2].words == "Strongly agree"
    # No stray entries: every easy text belongs to a bank item.
    assert set(data["items"]) <= set(bank().item_codes)


@pytest.mark.parametrize("who", ["person", "carer"])
def test_every_question_offers_i_dont_want_to_answer_and_every_option_has_a_picture(who) -> None:
    for question in questionnaire(who).questions:
        refusals = [o for o in question.options if o.value is None]
        assert [o.words for o in refusals] == ["I don't want to answer"], question.code
        assert question.options[-1].value is None
        for option in question.options:
            assert pictures.is_picture(option.picture), (question.code, option)
            drawn = pictures.svg(option.picture, option.words)
            assert 'role="img"' in drawn
            assert re.search(r"<title>[^<]+</title>", drawn)
            assert f'aria-label="{pictures.html.escape(option.words, quote=True)}"' in drawn


def test_faces_follow_how_good_the_answer_is_not_the_scale_numbers() -> None:
    q = questionnaire("person")
    def face(code, value):
        option = next(o for o in q.question(code).options if o.value == value)
        return int(option.picture.removeprefix("face-"))
    assert face("warm_kind", 5) > face("warm_kind", 1)
    assert face("ucla_left_out", 1) > face("ucla_left_out", 3)  # hardly ever left out is good
    assert face("ons_happy", 10) > face("ons_happy", 0)
    assert face("ons_anxious", 0) > face("ons_anxious", 10)  # very anxious is bad


def test_faces_are_different_drawings() -> None:
    drawn = {pictures.svg(f"face-{n}", "x") for n in range(11)}
    assert len(drawn) == 11
    with pytest.raises(KeyError):
        pictures.svg("face-11", "x")


def test_a_new_scale_without_pictures_is_refused_with_what_to_do() -> None:
    b = bank()
    scale = dataclasses.replace(b.scales["agree5"], code="new_scale")
    with pytest.raises(KhiError, match=r"easy_read.toml needs \[faces\] new_scale"):
        questionnaire("person", bank=bank_with_new_item(scale=scale))


def test_completed_by_is_the_banks_attribute() -> None:
    q = questionnaire("carer").question(COMPLETED_BY)
    attribute = bank().attribute(COMPLETED_BY)
    assert q.text == attribute.header
    assert [o.value for o in q.options] == [*attribute.codes, None]


def test_check_answer_returns_stored_codes_and_refuses_anything_else() -> None:
    q = questionnaire("person")
    assert check_answer(q.question("warm_kind"), "4") == 4
    assert check_answer(q.question("warm_kind"), REFUSAL) is None
    assert check_answer(q.question("ons_happy"), "0") == 0
    assert check_answer(q.question(COMPLETED_BY), "with_help") == "with_help"
    assert check_answer(q.question("friends_count"), " 12 ") == 12
    assert check_answer(q.question("friends_count"), REFUSAL) is None
    for code, raw in [
        ("warm_kind", "6"), ("warm_kind", "0"), ("warm_kind", ""), ("warm_kind", "4.0"),
        ("ons_happy", "11"), ("ucla_isolated", "4"), (COMPLETED_BY, "someone"),
        ("friends_count", "-1"), ("friends_count", "100"), ("friends_count", "two"),
    ]:
        with pytest.raises(BadAnswer, match="I don't want to answer"):
            check_answer(q.question(code), raw)


def test_unknown_version_is_refused_plainly() -> None:
    with pytest.raises(KhiError, match="'person' or 'carer'"):
        questionnaire("staff")
    with pytest.raises(KhiError, match="easy_read"):
        questionnaire("person", "plain")
