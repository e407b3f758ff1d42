"""Every selection policy of ipf-interface.md §3.2 on constructed catalogues, with the ESA reading of §3.4 and the
edge cases: boundaries, ties, empty windows, negative margins, duplicates."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from rs.production.selection import FAR_FUTURE, SelectionContext, select
from rs.production.tests.builders import at, aux, level

pytestmark = pytest.mark.django_db

S1A = SelectionContext(mission="S1", platform="A")
JOB = (at(0), at(100))  # job interval [t0, t1]


def names(policy: str, file_type: str = "AUX_X", *, t0: float = 0, t1: float = 0, start=JOB[0], stop=JOB[1],
          context: SelectionContext = S1A, **kwargs) -> list[str]:
    result = select(policy=policy, file_type=file_type, start=start, stop=stop, t0=t0, t1=t1, context=context,
                    **kwargs)
    return [p.name for p in result.products]


# --- cover ----------------------------------------------------------------------------------------------------------


def test_val_cover_lists_every_file_covering_the_window_inclusively_by_start():
    aux("AUX_X", name="exact", start=at(0), stop=at(100))
    aux("AUX_X", name="wide", start=at(-50), stop=at(150))
    aux("AUX_X", name="open", start=at(-10), stop=None)
    aux("AUX_X", name="short-at-end", start=at(0), stop=at(99.999999))
    aux("AUX_X", name="late-start", start=at(0.000001), stop=at(200))
    assert names("ValCover") == ["wide", "open", "exact"]


def test_latest_val_cover_takes_the_newest_generation():
    aux("AUX_X", name="old", start=at(-10), stop=at(200), generated=at(-1000))
    aux("AUX_X", name="new", start=at(-5), stop=at(110), generated=at(-500))
    aux("AUX_X", name="newest-not-covering", start=at(10), stop=at(200), generated=at(0))
    assert names("LatestValCover") == ["new"]


def test_latest_ties_go_to_the_last_catalogued_then_to_the_name():
    aux("AUX_X", name="b-first", start=at(-10), stop=at(200), generated=at(-100))
    aux("AUX_X", name="a-second", start=at(-10), stop=at(200), generated=at(-100))
    assert names("LatestValCover") == ["a-second"]  # same generation: inserted later wins


def test_latest_val_cover_applies_the_margins_with_microsecond_precision():
    aux("AUX_X", name="covers-8.8", start=at(-8.8), stop=at(108.8))
    aux("AUX_X", name="short-by-1us", start=at(-8.799999), stop=at(108.8))
    assert names("ValCover", t0=8.8, t1=8.8) == ["covers-8.8"]


def test_an_empty_catalogue_or_window_finds_nothing():
    assert names("LatestValCover") == []
    aux("AUX_X", name="before", start=at(-100), stop=at(-1))
    assert names("ValCover") == []
    assert names("ValIntersect") == []


def test_best_centred_cover_maximises_the_smaller_margin():
    aux("AUX_X", name="off-centre", start=at(-1000), stop=at(110), generated=at(0))
    aux("AUX_X", name="centred", start=at(-100), stop=at(200), generated=at(-1000))
    aux("AUX_X", name="not-covering", start=at(1), stop=at(1000), generated=at(10))
    assert names("BestCentredCover") == ["centred"]
    assert names("BestCenteredCover".replace("Centered", "Centred")) == ["centred"]


def test_best_centred_cover_ties_go_to_the_newest():
    aux("AUX_X", name="older", start=at(-50), stop=at(150), generated=at(-10))
    aux("AUX_X", name="newer", start=at(-50), stop=at(150), generated=at(-5))
    assert names("BestCentredCover") == ["newer"]


def test_latest_val_cover_closest_takes_the_latest_start_among_covering_files():
    aux("AUX_X", name="early", start=at(-100), stop=at(200), generated=at(10))
    aux("AUX_X", name="late", start=at(-1), stop=at(101), generated=at(-10))
    assert names("LatestValCoverClosest") == ["late"]


def test_latest_val_cover_newest_validity_falls_back_to_the_latest_validity():
    aux("AUX_X", name="partial-late", start=at(50), stop=at(500))
    aux("AUX_X", name="partial-early", start=at(-50), stop=at(50))
    result = select(policy="LatestValCoverNewestValidity", file_type="AUX_X", start=JOB[0], stop=JOB[1], t0=0, t1=0,
                    context=S1A)
    assert [p.name for p in result.products] == ["partial-late"]
    assert result.note == "no file covers the window: latest validity"
    aux("AUX_X", name="covering", start=at(-50), stop=at(150))
    assert names("LatestValCoverNewestValidity") == ["covering"]


# --- intersect ------------------------------------------------------------------------------------------------------


def test_val_intersect_is_strict_at_both_ends():
    aux("AUX_X", name="ends-at-a", start=at(-50), stop=at(0))
    aux("AUX_X", name="starts-at-b", start=at(100), stop=at(150))
    aux("AUX_X", name="inside", start=at(10), stop=at(20))
    aux("AUX_X", name="over-a", start=at(-50), stop=at(0.000001))
    assert names("ValIntersect") == ["over-a", "inside"]


def test_val_intersect_accepts_a_file_containing_a_point_job():
    aux("AUX_X", name="contains", start=at(-1), stop=at(0))
    aux("AUX_X", name="after", start=at(0.5), stop=at(2))
    assert names("ValIntersect", start=at(0), stop=at(0)) == ["contains"]


def test_a_negative_t1_shrinks_the_window():
    # S3 SR1 TM_0_NAT___ ValIntersect(1.0, -1.0): [t0 - 1, t1 - 1]
    aux("AUX_X", name="in-last-second", start=at(99.5), stop=at(120))
    aux("AUX_X", name="in-first-second", start=at(-0.9), stop=at(-0.5))
    assert names("ValIntersect", t0=1.0, t1=-1.0) == ["in-first-second"]


def test_latest_val_intersect_takes_the_newest_intersecting_file():
    aux("AUX_X", name="old", start=at(-10), stop=at(10), generated=at(-100))
    aux("AUX_X", name="new", start=at(90), stop=at(110), generated=at(-50))
    aux("AUX_X", name="newest-outside", start=at(200), stop=at(300), generated=at(0))
    assert names("LatestValIntersect") == ["new"]


def test_val_intersect_without_duplicates_keeps_the_newest_of_identical_validities():
    aux("AUX_X", name="dup-old", start=at(-10), stop=at(50), generated=at(-100))
    aux("AUX_X", name="dup-new", start=at(-10), stop=at(50), generated=at(-50))
    aux("AUX_X", name="overlapping-other", start=at(-10), stop=at(60), generated=at(-200))
    aux("AUX_X", name="second", start=at(50), stop=at(150), generated=at(-300))
    assert names("ValIntersectWithoutDuplicates") == ["dup-new", "overlapping-other", "second"]
    assert names("ValIntersect") == ["dup-new", "dup-old", "overlapping-other", "second"]


def test_min_results_turns_too_few_files_into_a_missing_input():
    aux("AUX_X", name="one", start=at(-10), stop=at(50))
    result = select(policy="ValIntersectWithoutDuplicates", file_type="AUX_X", start=JOB[0], stop=JOB[1], t0=0,
                    t1=10800, context=S1A, min_results=2)
    assert (result.products, result.note) == ((), "1 found, the table asks for at least 2")


def test_max_results_keeps_the_first_files_by_start():
    # the S3 OL1 table's ECMWF input: ValIntersectWithoutDuplicates(0, 10800), minResults 2, maxResults 3
    for n, hours in enumerate((-6, 0, 6, 12, 18)):
        aux("AX___MF1_AX", name=f"ecmwf-{n}", start=at(hours * 3600), stop=at(hours * 3600 + 6 * 3600),
            mission="S3")
    s3 = SelectionContext(mission="S3", platform="A")
    # [0, 18 h + 3 h] meets the files from 0, 6, 12 and 18 h: the first three by start are kept
    wide = select(policy="ValIntersectWithoutDuplicates", file_type="AX___MF1_AX", start=at(0), stop=at(64800),
                  t0=0, t1=10800, context=s3, min_results=2, max_results=3)
    assert ([p.name for p in wide.products], wide.note) == (
        ["ecmwf-1", "ecmwf-2", "ecmwf-3"], "4 or more found, the table allows at most 3: the first 3 by start kept")
    assert wide.queries[0].endswith("LIMIT 4")  # one more than allowed: enough to tell that some were left out
    exact = select(policy="ValIntersectWithoutDuplicates", file_type="AX___MF1_AX", start=at(0), stop=at(43200),
                   t0=0, t1=10800, context=s3, min_results=2, max_results=3)
    assert ([p.name for p in exact.products], exact.note) == (["ecmwf-1", "ecmwf-2", "ecmwf-3"], "")
    # [0, 3 h 100 s] meets only the file from 0 h
    narrow = select(policy="ValIntersectWithoutDuplicates", file_type="AX___MF1_AX", start=at(0), stop=at(100),
                    t0=0, t1=10800, context=s3, min_results=2, max_results=3)
    assert (narrow.products, narrow.note) == ((), "1 found, the table asks for at least 2")


def test_max_results_caps_a_list_policy_without_a_sql_limit():
    for n in range(4):
        aux("AUX_X", name=f"piece-{n}", start=at(n * 25), stop=at(n * 25 + 25))
    result = select(policy="FullCoverage", file_type="AUX_X", start=JOB[0], stop=JOB[1], t0=0, t1=0, context=S1A,
                    max_results=2)
    assert ([p.name for p in result.products], result.note) == (
        ["piece-0", "piece-1"], "4 found, the table allows at most 2: the first 2 by start kept")


# --- S2 band-dependent GIPs -------------------------------------------------------------------------------------------


S2A = SelectionContext(mission="S2", platform="A")


def test_a_band_selection_takes_the_latest_file_of_that_band_only():
    gip = "S2A_OPER_GIP_VIEDIR_MPC__{generated}_V20150622T000000_21000101T000000_B{band}"
    aux("GIP_VIEDIR", mission="S2", name=gip.format(generated="20170101T000000", band="8A"), start=at(-1000),
        generated=at(-900))
    aux("GIP_VIEDIR", mission="S2", name=gip.format(generated="20180101T000000", band="8A"), start=at(-1000),
        generated=at(-800))
    aux("GIP_VIEDIR", mission="S2", name=gip.format(generated="20190101T000000", band="08"), start=at(-1000),
        generated=at(-700))  # newer, but another band
    result = select(policy="LatestValCover", file_type="GIP_VIEDIR", start=JOB[0], stop=JOB[1], t0=0, t1=0,
                    context=S2A, band="8A")
    assert [p.name for p in result.products] == [gip.format(generated="20180101T000000", band="8A")]
    assert result.band == "8A" and "LIKE '%\\_B8A'" in result.queries[0]


def test_largest_overlap_prefers_the_largest_overlap_then_the_start_closest_to_a():
    aux("AUX_X", name="overlap-60", start=at(40), stop=at(200), generated=at(0))
    aux("AUX_X", name="overlap-70-late", start=at(30), stop=at(500))
    aux("AUX_X", name="overlap-70-early", start=at(-40), stop=at(70), generated=at(-100))
    # equal overlaps: start 30 s after a vs 40 s before a → the one starting 30 s from a
    assert names("LargestOverlap") == ["overlap-70-late"]


def test_largest_overlap_ties_on_overlap_and_offset_go_to_the_newest():
    aux("AUX_X", name="older", start=at(-20), stop=at(50), generated=at(-10))
    aux("AUX_X", name="newer", start=at(-20), stop=at(50), generated=at(-1))
    assert names("LargestOverlap") == ["newer"]


def test_largest_overlap_85_needs_85_percent_of_the_window():
    aux("AUX_X", name="84", start=at(16), stop=at(200))
    result = select(policy="LargestOverlap85", file_type="AUX_X", start=JOB[0], stop=JOB[1], t0=0, t1=0, context=S1A)
    assert result.products == ()
    assert result.note == "largest overlap 84.0% of the window is below 85%"
    aux("AUX_X", name="85", start=at(-100), stop=at(85))
    assert names("LargestOverlap85") == ["85"]


def test_full_coverage_needs_the_union_without_gap():
    aux("AUX_X", name="first", start=at(-10), stop=at(40))
    aux("AUX_X", name="third", start=at(60), stop=at(120))
    assert names("FullCoverage") == []
    aux("AUX_X", name="second", start=at(40), stop=at(60))
    assert names("FullCoverage") == ["first", "second", "third"]


# --- no interval test -------------------------------------------------------------------------------------------------


def test_latest_validity_ignores_the_window_and_takes_the_latest_start():
    aux("AUX_X", name="covering", start=at(-10), stop=at(200), generated=at(10))
    aux("AUX_X", name="future", start=at(10_000), stop=at(20_000), generated=at(-10))
    assert names("LatestValidity") == ["future"]
    assert names("LatestStartValidity") == ["future"]


def test_latest_stop_validity_takes_the_latest_stop_and_an_open_stop_is_the_latest():
    aux("AUX_X", name="late-stop", start=at(-10), stop=at(5_000))
    aux("AUX_X", name="later-start", start=at(4_000), stop=at(4_500))
    assert names("LatestStopValidity") == ["late-stop"]
    aux("AUX_X", name="open", start=at(-1_000), stop=FAR_FUTURE)
    assert names("LatestStopValidity") == ["open"]


def test_latest_validity_closest_takes_the_start_nearest_the_window_centre():
    # window [0, 100], centre 50: starts at 45 (5 s) and 58 (8 s), an older file outside the window at 52 (2 s)
    aux("AUX_X", name="at-45", start=at(45), stop=at(46), generated=at(0))
    aux("AUX_X", name="at-58", start=at(58), stop=at(59), generated=at(0))
    aux("AUX_X", name="at-52-old", start=at(52), stop=at(53), generated=at(-1000))
    assert names("LatestValidityClosest") == ["at-52-old"]


def test_latest_validity_closest_ties_on_both_sides_go_to_the_newest():
    aux("AUX_X", name="minus-5-new", start=at(45), stop=at(46), generated=at(0))
    aux("AUX_X", name="plus-5-old", start=at(55), stop=at(56), generated=at(-10))
    assert names("LatestValidityClosest") == ["minus-5-new"]


def test_closest_start_validity_measures_from_the_window_start_not_its_centre():
    # COPRS measures from the centre (50) and would pick "near-centre"; the ESA definition measures from a = t0 - T0
    aux("AUX_X", name="near-a", start=at(-15), stop=at(-14))
    aux("AUX_X", name="near-centre", start=at(48), stop=at(49))
    assert names("ClosestStartValidity", t0=10) == ["near-a"]  # a = -10: -15 is 5 s away


def test_closest_stop_validity_measures_from_the_window_end():
    # AUX_ECE ClosestStopValidity(0, 86400): the stop closest to one day after the job stop
    aux("AUX_X", name="stop-day-after", start=at(0), stop=at(100 + 86_400 - 30))
    aux("AUX_X", name="stop-at-job-end", start=at(-10), stop=at(100))
    aux("AUX_X", name="open", start=at(0), stop=FAR_FUTURE)
    assert names("ClosestStopValidity", t1=86_400) == ["stop-day-after"]


def test_closest_stop_ties_go_to_the_newest():
    aux("AUX_X", name="before-old", start=at(0), stop=at(90), generated=at(-2))
    aux("AUX_X", name="after-new", start=at(0), stop=at(110), generated=at(-1))
    assert names("ClosestStopValidity") == ["after-new"]


def test_last_created_takes_the_most_recently_generated_file_anywhere():
    aux("AUX_X", name="covering", start=at(-10), stop=at(200), generated=at(-100))
    aux("AUX_X", name="elsewhere", start=at(-10_000), stop=at(-9_000), generated=at(-1))
    assert names("LastCreated") == ["elsewhere"]


# --- candidates ------------------------------------------------------------------------------------------------------


def test_candidates_are_of_the_jobs_unit_or_valid_for_every_unit():
    aux("AUX_X", name="for-b", platform="B", start=at(-10), stop=at(200), generated=at(0))
    aux("AUX_X", name="for-all", platform="_", start=at(-10), stop=at(200), generated=at(-10))
    assert names("LatestValCover") == ["for-all"]


def test_table_types_are_mapped_to_catalogue_types():
    aux("AUX_RESORB", name="resorb", start=at(-10), stop=at(500))
    assert names("LatestValCover", "AUX_RES", t1=360) == ["resorb"]
    aux("AMV_ERRMAT", name="ece-v", start=at(-10), stop=at(500))
    aux("AMH_ERRMAT", name="ece-h", start=at(-10), stop=at(600))
    horizontal = SelectionContext(mission="S1", platform="A", polarisation="H")
    assert names("ClosestStopValidity", "AUX_ECE", context=horizontal) == ["ece-h"]


def test_instrument_configuration_aux_must_match_the_l0_icid():
    aux("AUX_CAL", name="icid-5", start=at(-10), stop=None, icid=5, generated=at(0))
    aux("AUX_CAL", name="icid-6", start=at(-10), stop=None, icid=6, generated=at(-10))
    context = SelectionContext(mission="S1", platform="A", instrument_configuration_id=6)
    assert names("LatestValCover", "AUX_CAL", context=context) == ["icid-6"]


def test_level_products_are_compared_on_sensing_time_and_in_the_jobs_mode():
    level("IW_RAW__0A", name="iw-acn", start=at(-300), stop=at(300), mode="IW")
    level("IW_RAW__0A", name="ew-acn", start=at(-300), stop=at(300), mode="EW")
    context = SelectionContext(mission="S1", platform="A", acquisition_mode="IW")
    assert names("LatestValCover", "IW_RAW__0A", context=context) == ["iw-acn"]


def test_offline_products_cannot_be_selected():
    aux("AUX_X", name="evicted", start=at(-10), stop=at(200), storage_key="")
    assert names("LatestValCover") == []


def test_the_result_carries_the_window_and_the_sql_that_ran():
    result = select(policy="LatestValCover", file_type="AUX_RES", start=JOB[0], stop=JOB[1], t0=0, t1=360,
                    context=S1A)
    assert result.window == (at(0), at(460))
    assert result.catalog_types == ("AUX_RESORB",)
    assert len(result.queries) == 1 and "ORDER BY" in result.queries[0] and "LIMIT 1" in result.queries[0]


@pytest.fixture
def analysed_catalogue():
    """A catalogue of several types with planner statistics, so EXPLAIN shows the plan a real catalogue gets."""
    for n in range(120):
        aux(f"AUX_T{n % 40:02d}", start=at(n * 60), stop=at(n * 60 + 3600))
        level(f"IW_RAW__{n % 40:02d}", start=at(n * 25), stop=at(n * 25 + 25))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")


@pytest.mark.parametrize("file_type", ["AUX_RESORB", "IW_RAW__0S"])
@pytest.mark.parametrize("policy", ["ValIntersect", "LatestValCover"])
def test_selection_queries_are_served_by_the_catalogue_indexes(analysed_catalogue, file_type, policy):
    # which (product_type, …) index the planner prefers depends on the statistics; bench/production shows the
    # plans on a large catalogue. Here: an index led by product_type, never a sequential scan.
    from rs.production.selection import _Query

    query = _Query(file_type, S1A, at(0), at(100))
    parts = query.intersect() if policy == "ValIntersect" else query.cover()
    sql, params = query.combined(parts, *query.newest())[:1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    index = r"using product_type_(validity|validity_stop|start|created) on catalog_product"
    assert re.search(index, plan.lower()), plan
    assert "seq scan" not in plan.lower()
    # aux files: open stops in their own UNION ALL branch, so that on a large catalogue the stop test is an index
    # condition (bench/production shows the plan)
    assert (len(parts), "UNION ALL" in sql) == ((2, True) if file_type.startswith("AUX_") else (1, False))


@pytest.mark.parametrize("policy", ["ValCover", "LatestValCover", "ValIntersect", "LatestValidityClosest",
                                    "BestCentredCover", "LargestOverlap85", "ClosestStartValidity",
                                    "ClosestStopValidity", "ValIntersectWithoutDuplicates", "FullCoverage"])
@pytest.mark.parametrize(("file_type", "window"), [("AUX_RES", (at(0), at(100))), ("IW_RAW__0S", (at(0), at(100))),
                                                   ("AUX_CAL", (at(7), at(7)))])
def test_a_policy_compiled_once_gives_the_query_a_fresh_compilation_gives(policy, file_type, window):
    from rs.production.selection import SelectionPlan

    context = SelectionContext(mission="S1", platform="A", instrument_configuration_id=6, acquisition_mode="IW")
    for t0, t1 in ((0, 0), (8.8, 360), (8.8, -30), (0, 0)):  # later plans reuse the compiled SQL of earlier ones
        plan = SelectionPlan(policy=policy, file_type=file_type, start=window[0], stop=window[1], t0=t0, t1=t1,
                             context=context, max_results=3)
        fresh = [qs.query.get_compiler(using="default").as_sql() for qs in plan.branches]
        assert plan.compiled("default", "postgresql") == [(sql, list(params)) for sql, params in fresh]
