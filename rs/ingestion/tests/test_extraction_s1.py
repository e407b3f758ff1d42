"""Sentinel-1 extraction on every real sample (field by field) and on fixtures of the families without one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from rs.catalog.services import ProductMetadata
from rs.ingestion.extraction import ProductReader, extract_metadata, s1_l0_timeliness, s1_total_slices
from rs.ingestion.names import identify
from rs.ingestion.tests.fixtures.samples import sample


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def extract(path: Path, delivered: str | None = None) -> ProductMetadata:
    with ProductReader.open(path) as reader:
        return extract_metadata(identify(delivered or path.name), reader)


ESA = {"origin": "ESA", "authority": "ESA", "platformShortName": "SENTINEL-1", "platformSerialIdentifier": "A",
       "instrumentShortName": "SAR"}


def test_the_c6db_l0_slice_gives_every_manifest_field() -> None:
    metadata = extract(sample("s1/S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE"))
    assert (metadata.mission, metadata.platform, metadata.family, metadata.product_type, metadata.level) == (
        "S1", "A", "L0_SLICE", "IW_RAW__0S", "L0")
    assert (metadata.mode, metadata.instrument_configuration_id, metadata.timeliness) == ("IW", 6, "FAST24")
    assert (metadata.content_start, metadata.content_end) == (utc("2017-12-13T12:16:23.685188"),
                                                              utc("2017-12-13T12:16:56.085136"))
    assert (metadata.validity_start, metadata.validity_stop) == (None, None)
    assert metadata.generation_date == utc("2017-12-13T12:56:32.634114")
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == (
        "MULTIPOLYGON (((86.8273 36.7787, 86.4312 38.7338, 83.6235 38.4629, 84.0935 36.5091, 86.8273 36.7787)))")
    assert metadata.attributes == {
        **ESA, "productType": "IW_RAW__0S",
        "beginningDateTime": utc("2017-12-13T12:16:23.685188"), "endingDateTime": utc("2017-12-13T12:16:56.085136"),
        "startTimeFromAscendingNode": 596091.608, "completionTimeFromAscendingNode": 628491.556,
        "operationalMode": "IW", "swathIdentifier": "IW", "productClass": "S", "productConsolidation": "SLICE",
        "instrumentConfigurationID": 6, "datatakeID": 137013, "missionDatatakeID": 137013,
        "polarisationChannels": "VV&VH", "orbitNumber": 19684, "relativeOrbitNumber": 12, "cycleNumber": 127,
        "orbitDirection": "ASCENDING", "processingLevel": "LEVEL0", "timeliness": "FAST24",
        "processingDate": utc("2017-12-13T12:56:32.634114"), "processingCenter": "Airbus DS-Newport",
        "sliceProductFlag": True, "sliceNumber": 13,
        "coordinates": "36.7787,86.8273 38.7338,86.4312 38.4629,83.6235 36.5091,84.0935 36.7787,86.8273",
    }


def test_the_51b1_annotation_product_gives_the_slice_count_of_its_datatake() -> None:
    metadata = extract(sample("s1/S1A_IW_RAW__0ADV_20171213T121123_20171213T121947_019684_021735_51B1.SAFE"))
    assert (metadata.family, metadata.timeliness) == ("L0_ACN", "FAST24")
    assert (metadata.content_start, metadata.content_end) == (utc("2017-12-13T12:11:23.682488"),
                                                              utc("2017-12-13T12:19:47.264351"))
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == (
        "MULTIPOLYGON (((90.3636 18.6541, 84.2062 49.0506, 80.8613 48.7621, 88.0584 18.3765, 90.3636 18.6541)))")
    assert {k: metadata.attributes.get(k) for k in ("productClass", "productConsolidation", "totalSlices",
                                                    "sliceProductFlag", "sliceNumber", "processingDate")} == {
        "productClass": "A", "productConsolidation": "FULL", "totalSlices": 20, "sliceProductFlag": False,
        "sliceNumber": None, "processingDate": utc("2017-12-13T12:56:34.154089")}


def test_the_9470_segment_keeps_its_single_polarisation() -> None:
    metadata = extract(sample("s1/S1A_IW_RAW__0SVH_20200120T124746_20200120T125111_030884_038B5E_9470.SAFE"))
    assert (metadata.family, metadata.timeliness, metadata.generation_date) == (
        "L0_SEGMENT", "FAST24", utc("2021-04-19T14:45:16.778287"))
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == ("MULTIPOLYGON (((-103.1979 30.4307, -105.6059 17.9991, -103.3109 17.7208, "
                                      "-100.6624 30.1622, -103.1979 30.4307)))")
    assert {k: metadata.attributes.get(k) for k in (
        "polarisationChannels", "productConsolidation", "orbitNumber", "orbitDirection", "processingCenter",
        "datatakeID", "cycleNumber", "sliceProductFlag", "sliceNumber")} == {
        "polarisationChannels": "VH", "productConsolidation": "FULL", "orbitNumber": 30884,
        "orbitDirection": "DESCENDING", "processingCenter": "DLR-Oberpfaffenhofen", "datatakeID": 232286,
        "cycleNumber": 191, "sliceProductFlag": False, "sliceNumber": None}


def test_the_41d5_wave_product_is_a_segment_with_a_nadir_line() -> None:
    identified = identify("S1A_WV_RAW__0SSV_20180913T214325_20180913T214422_023685_0294F4_41D5.SAFE")
    metadata = extract(sample("s1/S1A_WV_RAW__0SSV_20180913T214325_20180913T214422_023685_0294F4_41D5.SAFE"))
    assert (identified.family, metadata.family) == ("L0_SLICE", "L0_SEGMENT")  # consolidation END refines the name
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == "LINESTRING (108.5909 -62.29, 105.8055 -65.5655)"
    assert (metadata.mode, metadata.timeliness) == ("WV", "FAST24")
    assert {k: metadata.attributes.get(k) for k in ("productConsolidation", "polarisationChannels", "orbitNumber",
                                                    "relativeOrbitNumber", "coordinates")} == {
        "productConsolidation": "END", "polarisationChannels": "VV", "orbitNumber": 23685, "relativeOrbitNumber": 163,
        "coordinates": "-62.2900,108.5909 -65.5655,105.8055"}


def test_the_c0b5_l1_product_reads_the_level_1_manifest() -> None:
    metadata = extract(sample("s1/S1A_IW_GRDH_1SDV_20180227T145344_20180227T145413_020794_023A69_C0B5.SAFE"))
    assert (metadata.family, metadata.level, metadata.mode, metadata.timeliness) == ("L1_SLICE", "L1", "IW", "NRT-3h")
    assert (metadata.content_start, metadata.content_end) == (utc("2018-02-27T14:53:44.184986"),
                                                              utc("2018-02-27T14:54:13.190581"))
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == ("MULTIPOLYGON (((48.64994 10.625828, 50.958828 11.081389, 50.603844 12.829241, "
                                      "48.27924 12.378114, 48.64994 10.625828)))")
    assert metadata.attributes == {
        **ESA, "productType": "IW_GRDH_1S",
        "beginningDateTime": utc("2018-02-27T14:53:44.184986"), "endingDateTime": utc("2018-02-27T14:54:13.190581"),
        "startTimeFromAscendingNode": 164278.8, "completionTimeFromAscendingNode": 193284.4,
        "operationalMode": "IW", "swathIdentifier": "IW", "productClass": "S", "productComposition": "Slice",
        "instrumentConfigurationID": 6, "datatakeID": 146025, "missionDatatakeID": 146025,
        "polarisationChannels": "VV&VH", "orbitNumber": 20794, "relativeOrbitNumber": 72, "cycleNumber": 133,
        "orbitDirection": "ASCENDING", "processingLevel": "LEVEL1", "timeliness": "NRT-3h",
        "processingDate": utc("2018-05-31T08:23:39.379021"), "processingCenter": "Airbus DS-Newport",
        "processorName": "Sentinel-1 IPF", "processorVersion": "002.82", "sliceProductFlag": True,
        "segmentStartTime": utc("2018-02-27T14:53:44.490700"), "sliceNumber": 1, "totalSlices": 23,
        "coordinates": "12.378114,48.279240 12.829241,50.603844 11.081389,50.958828 10.625828,48.649940",
    }


def test_the_aux_cal_safe_has_an_open_validity_and_no_footprint() -> None:
    metadata = extract(sample("s1/S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE"))
    assert (metadata.family, metadata.product_type, metadata.level, metadata.instrument_configuration_id) == (
        "AUXILIARY_FILE", "AUX_CAL", "AUX", 6)
    assert (metadata.validity_start, metadata.validity_stop) == (
        utc("2017-10-17T08:00:00"), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    assert (metadata.content_start, metadata.content_end) == (utc("2017-10-17T08:00:00"), utc("2017-10-17T08:00:00"))
    assert (metadata.generation_date, metadata.footprint) == (utc("2017-10-13T10:12:00"), None)
    assert metadata.attributes == {
        **ESA, "productType": "AUX_CAL", "beginningDateTime": utc("2017-10-17T08:00:00"),
        "endingDateTime": utc("2017-10-17T08:00:00"), "processingDate": utc("2017-10-13T10:12:00"),
        "processingCenter": "CLS-Brest", "productGeneration": utc("2017-10-13T10:12:00"),
        "instrumentConfigurationID": 6,
    }


def test_the_predicted_orbit_file_is_read_from_its_earth_explorer_header() -> None:
    metadata = extract(sample("s1/S1A_OPER_MPL_ORBPRE_20171208T200309_20171215T200309_0001.EOF"))
    assert (metadata.family, metadata.product_type, metadata.level, metadata.footprint) == (
        "AUXILIARY_FILE", "MPL_ORBPRE", "AUX", None)
    assert (metadata.validity_start, metadata.validity_stop, metadata.generation_date) == (
        utc("2017-12-08T20:03:09"), utc("2017-12-15T20:03:09"), utc("2017-12-08T20:02:13"))
    assert metadata.attributes == {
        "origin": "ESA", "authority": "ESA", "platformShortName": "SENTINEL-1", "platformSerialIdentifier": "A",
        "productType": "MPL_ORBPRE", "beginningDateTime": utc("2017-12-08T20:03:09"),
        "endingDateTime": utc("2017-12-15T20:03:09"), "processingDate": utc("2017-12-08T20:02:13"),
        "processingCenter": "FOS", "processorName": "NAPEOS", "processorVersion": "3.0",
    }


@pytest.mark.parametrize(("duration", "mode", "total"), [
    (503.581863, "IW", 20),  # the 51B1 datatake: n = 19.85 and 0.85 x 25 s >= 7.4 s of overlap -> ceil
    (40.0, "IW", 2),  # n = 1.30: 7.6 s left >= 7.4 s -> 2
    (38.0, "IW", 1),  # n = 1.22: 5.6 s left < 7.4 s -> 1
    (10.0, "EW", 1),  # shorter than one slice: at least 1
    (130.0, "S3", 5),  # stripmap beams slice as SM (25 s / 7.7 s): n = 4.89 -> 5
    (300.0, "WV", None),  # wave mode is never sliced
])
def test_the_slice_count_of_a_datatake_follows_its_duration(duration: float, mode: str, total: int | None) -> None:
    assert s1_total_slices(duration_s=duration, mode=mode) == total


@pytest.mark.parametrize(("stores", "timeliness"), [
    ([25, 24], "FAST24"), ([21], "FAST24"), ([20], "FAST24"), ([10, 25], "NRT"), ([40, 10], "PT"), ([49], "NRT"),
    ([60], "FAST24"), ([], ""),
])
def test_l0_timeliness_is_the_most_urgent_packet_store(stores: list[int], timeliness: str) -> None:
    assert s1_l0_timeliness(stores) == timeliness
