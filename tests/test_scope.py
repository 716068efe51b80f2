"""The Scope in the engine: whatever filters a caller passes, a scheme user's queries
return their own schemes' rows only (issue 14), and roles grant what they say."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from kpi import indicators as engine
from kpi.indicators import Filters
from kpi.reach import Reach
from kpi.scope import ENGLAND, LOCAL_ADMIN, AccessError, Scope, add_user, scope_for
from kpi.store import Store


@pytest.fixture(scope="module")
def sector(demo_store: Store) -> dict[str, object]:
    register = demo_store.schemes()
    own = str(register["scheme_id"].iloc[0])
    own_region = str(register["region"].iloc[0])
    others = register[register["region"] != own_region]
    neighbours = register[(register["region"] == own_region) & (register["scheme_id"] != own)]
    return {
        "own": own,
        "own_region": own_region,
        "other": str(others["scheme_id"].iloc[0]),
        "other_region": str(others["region"].iloc[0]),
        "neighbour": str(neighbours["scheme_id"].iloc[0]),
        "register": register,
    }


def asked_filters(sector: dict) -> list[Filters]:
    """Every kind of filter a page, a link or a hostile caller might pass."""
    own, other, neighbour = sector["own"], sector["other"], sector["neighbour"]
    regions = (None, (sector["own_region"],), (sector["other_region"],))
    schemes = (None, (own,), (other,), (own, other, neighbour))
    scopes = (None, (other,), (own, other))
    return [
        Filters(regions=r, scheme_ids=s, scope=sc)
        for r, s, sc in itertools.product(regions, schemes, scopes)
    ]


def scheme_columns(frame: pd.DataFrame) -> set[str]:
    for column in ("scheme", "scheme_id"):
        if column in frame.columns:
            return {str(v) for v in frame[column].dropna()}
    raise AssertionError(f"no scheme column in {list(frame.columns)}")


@pytest.mark.slow  # every filter a caller might pass, through seven engine calls
def test_a_scheme_users_queries_never_return_another_schemes_rows(
    demo_store: Store, sector: dict
) -> None:
    scope = Scope(role="scheme", email="staff@a.example", scheme_ids=(sector["own"],))
    allowed = scope.allowed(demo_store)
    assert allowed == Reach.only([sector["own"]])
    seen_own = False
    checked: set[Filters] = set()
    for asked in asked_filters(sector):
        filters = scope.restrict(asked, allowed)
        if filters in checked:  # the same narrowed filters give the same rows: read once
            continue
        checked.add(filters)
        results = [
            engine.indicator_table(demo_store, khis=["warm_kind", "friends_mean"],
                                   by=["scheme"], quarter="all", filters=filters),
            engine.indicator_table(demo_store, khis=["warm_kind"], by=["scheme", "region"],
                                   filters=filters, benchmark="region"),
            engine.funnel(demo_store, "warm_kind", filters=filters)[0],
            engine.change(demo_store, "swemwbs_change", by=["scheme"], filters=filters),
            engine.response_rates(demo_store, filters=filters),
            engine.missing_returns(demo_store, filters=filters),
            engine.activity_summary(demo_store, filters=filters, by="scheme"),
        ]
        for frame in results:
            if frame.empty:
                continue
            found = scheme_columns(frame)
            assert found <= {sector["own"]}, (asked, found)
            seen_own |= sector["own"] in found
    assert seen_own  # the check saw rows at all: the own scheme is there


def test_the_scope_narrows_totals_too_but_not_the_benchmark(
    demo_store: Store, sector: dict
) -> None:
    scope = Scope(role="scheme", email="staff@a.example", scheme_ids=(sector["own"],))
    mine = engine.indicator_table(
        demo_store, khis=["warm_kind"], quarter="all",
        filters=scope.restrict(None, scope.allowed(demo_store)),
    )
    everyone = engine.indicator_table(demo_store, khis=["warm_kind"], quarter="all")
    alone = engine.indicator_table(
        demo_store, khis=["warm_kind"], quarter="all", filters=Filters(scheme_ids=(sector["own"],))
    )
    # The scheme's own all-quarters cell may be hidden (a small quarter hides the
    # total): the scope's answer is then hidden exactly as the scheme's own is.
    pd.testing.assert_frame_equal(mine, alone)
    assert everyone["n"].iloc[0] > alone["n"].fillna(0).iloc[0]
    if pd.notna(mine["n"].iloc[0]):
        assert mine["benchmark"].iloc[0] == pytest.approx(everyone["value"].iloc[0])
    else:  # no benchmark beside a hidden row: it would say the row's neighbours
        assert pd.isna(mine["benchmark"].iloc[0])


def test_restrict_intersects_and_never_widens(demo_store: Store, sector: dict) -> None:
    own, other = sector["own"], sector["other"]
    scope = Scope(role="commissioner", email="c@x.example", scheme_ids=(own, other))
    allowed = scope.allowed(demo_store)
    assert set(allowed.ids) == {own, other} and not allowed.every
    assert scope.restrict(Filters(scope=(own,)), allowed).scope == (own,)
    assert scope.restrict(Filters(scope=("SL999",)), allowed).scope == ()
    assert scope.restrict(None, allowed).scope == allowed.ids


def test_roles_grant_what_they_say(demo_store: Store, sector: dict) -> None:
    register = sector["register"]
    region = sector["own_region"]
    in_region = set(register.loc[register["region"] == region, "scheme_id"])
    commissioner = Scope(role="commissioner", regions=(region,))
    assert set(commissioner.allowed(demo_store).ids) == in_region
    assert Scope(role="board", regions=(ENGLAND,)).allowed(demo_store).every
    assert LOCAL_ADMIN.allowed(demo_store).every
    nobody = Scope(role=None, email="who@x.example")
    assert nobody.allowed(demo_store).is_empty and nobody.pages == ()
    filters = nobody.restrict(Filters(scheme_ids=(sector["own"],)), Reach.nothing())
    assert engine.indicator_table(demo_store, khis=["warm_kind"], by=["scheme"],
                                  filters=filters).empty
    # A scheme user granted a region by hand still sees only their schemes.
    sneaky = Scope(role="scheme", scheme_ids=(sector["own"],), regions=(region,))
    assert sneaky.allowed(demo_store) == Reach.only([sector["own"]])
    assert "upload" in Scope(role="scheme").pages and "admin" not in Scope(role="scheme").pages
    assert "upload" not in commissioner.pages and "admin" in LOCAL_ADMIN.pages


def test_uploads_are_checked_against_the_scope() -> None:
    staff = Scope(role="scheme", scheme_ids=("SL001",))
    own = Reach.only(["SL001"])
    staff.check_upload("SL001", own)
    with pytest.raises(AccessError, match="only for your own schemes"):
        staff.check_upload("SL002", own)
    with pytest.raises(AccessError, match="only for your own schemes"):
        staff.check_upload(None, own)  # an activity return for several schemes
    with pytest.raises(AccessError, match="only for your own schemes"):
        staff.check_upload("SL001", Reach.nothing())  # an empty grant is not "all"
    with pytest.raises(AccessError, match="may not upload"):
        Scope(role="commissioner", regions=(ENGLAND,)).check_upload("SL001", Reach.everything())
    LOCAL_ADMIN.check_upload(None, Reach.everything())


def test_an_empty_grant_reaches_nothing_in_the_store_and_the_engine(
    demo_store: Store, sector: dict
) -> None:
    """A region with no registered scheme yet: an empty reach, never every scheme,
    wherever it is read (register, uploads, missing returns, KHIs)."""
    commissioner = Scope(role="commissioner", regions=("Nowhere yet",))
    reach = commissioner.allowed(demo_store)
    assert reach.is_empty and not reach.every
    assert demo_store.schemes(reach).empty and demo_store.uploads(reach).empty
    assert len(demo_store.schemes(Reach.everything())) == len(sector["register"])
    filters = commissioner.restrict(None, reach)
    assert engine.missing_returns(demo_store, filters=filters).empty
    assert engine.indicator_table(
        demo_store, khis=["warm_kind"], by=["scheme"], filters=filters
    ).empty
    assert reach.rows(sector["register"]).empty
    assert reach.keep(["SL001", "SL002"]) == () and not reach.includes("SL001")


def test_users_are_matched_on_email_in_any_case(fresh_store: Store) -> None:
    from tests.builders import make_store

    store = make_store(fresh_store.path, [("SL001", "Alderley", "North West")])
    add_user(store, " Staff@Alderley.EXAMPLE ", "scheme", ["SL001"], by="test")
    scope = scope_for(store, "staff@alderley.example")
    assert (scope.role, scope.scheme_ids) == ("scheme", ("SL001",))
    assert scope_for(store, "STAFF@ALDERLEY.example") == scope
    assert scope_for(store, "someone@else.example").role is None
    assert scope_for(store, None).role is None


@pytest.mark.parametrize(
    ("email", "role", "schemes", "regions", "message"),
    [
        ("not-an-email", "admin", [], [], "is not an email address"),
        ("a@b.example", "owner", [], [], "Unknown role 'owner'"),
        ("a@b.example", "scheme", ["SL404"], [], "'SL404' is not in the register"),
        ("a@b.example", "scheme", [], [], "needs their --scheme ID"),
        ("a@b.example", "commissioner", [], [], "needs an area"),
        ("a@b.example", "board", [], ["Atlantis"], "Unknown region 'Atlantis'"),
        ("a@b.example", "admin", ["SL001"], [], "An administrator sees every scheme"),
    ],
)
def test_bad_grants_are_refused_and_nothing_is_stored(
    fresh_store: Store, email: str, role: str, schemes: list, regions: list, message: str
) -> None:
    from tests.builders import make_store

    store = make_store(fresh_store.path, [("SL001", "Alderley", "North West")])
    with pytest.raises(AccessError, match=message):
        add_user(store, email, role, schemes, regions, by="test")
    assert store.users().empty and store.changes().empty


def test_every_benchmark_is_the_sectors_whoever_asks(demo_store: Store, sector: dict) -> None:
    """England's value, the funnel's centre and limits, and the range of schemes are
    the same for a scheme worker, a region's commissioner and the administrator;
    scope changes only which schemes are named."""
    staff = Scope(role="scheme", scheme_ids=(sector["own"],))
    commissioner = Scope(role="commissioner", regions=(sector["own_region"],))
    viewers = [LOCAL_ADMIN, staff, commissioner]
    views = [v.restrict(Filters(respondent_types=("person",)), v.allowed(demo_store))
             for v in viewers]
    englands = [engine.england_table(demo_store, quarter="all", filters=f) for f in views]
    for other in englands[1:]:
        pd.testing.assert_frame_equal(englands[0], other)
    whole = engine.indicator_table(demo_store, quarter="all",
                                   filters=Filters(respondent_types=("person",)))
    pd.testing.assert_frame_equal(englands[0], whole)
    spreads = [engine.scheme_spread(demo_store, quarter="all", filters=f) for f in views]
    for other in spreads[1:]:
        pd.testing.assert_frame_equal(spreads[0], other)
    funnels = [engine.funnel(demo_store, "warm_kind", quarter="all", filters=f) for f in views]
    pooled = funnels[0][2]
    assert pooled is not None
    everyone = funnels[0][0].set_index("scheme")["position"]
    for points, _, centre in funnels[1:]:
        assert centre == pytest.approx(pooled)
        assert len(points) < len(everyone)  # fewer schemes named
        # Each named scheme sits where it sits for the administrator.
        if len(points):
            assert points.set_index("scheme")["position"].to_dict() == {
                s: everyone[s] for s in points["scheme"]
            }
    assert len(funnels[2][0])  # the commissioner's region has schemes to compare
