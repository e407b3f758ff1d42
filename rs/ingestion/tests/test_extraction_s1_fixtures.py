"""Sentinel-1 families without a real sample: L2 OCN wave, SAFE aux with a stop, SH/SV refinement, RF, GP, C/N."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.gis.geos import GEOSGeometry

from rs.catalog.services import ProductMetadata
from rs.ingestion.extraction import ExtractionError, ProductReader, extract_metadata
from rs.ingestion.names import identify
from rs.ingestion.tests.fixtures.documents import s1_aux_manifest, s1_l0_manifest, s1_wv_ocn_manifest
from rs.ingestion.tests.fixtures.packaging import write_folder


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def extract(folder: Path) -> ProductMetadata:
    with ProductReader.open(folder) as reader:
        return extract_metadata(identify(folder.name), reader)


def l0(tmp_path: Path, name: str, **manifest: object) -> Path:
    return write_folder(tmp_path, name, {"manifest.safe": s1_l0_manifest(**manifest)})  # type: ignore[arg-type]


IW_RING = "30.0,-103.0 18.0,-105.0 17.7,-103.3 30.1,-100.6 30.0,-103.0"


def test_a_wave_ocn_product_takes_the_polygon_bounding_its_vignettes(tmp_path: Path) -> None:
    name = "S1A_WV_OCN__2SSV_20190518T160559_20190518T161434_027284_0313A0_46F2.SAFE"
    metadata = extract(write_folder(tmp_path, name, {"manifest.safe": s1_wv_ocn_manifest()}))
    assert (metadata.family, metadata.level, metadata.mode, metadata.timeliness) == ("L2_SLICE", "L2", "WV",
                                                                                     "Fast-24h")
    assert (metadata.content_start, metadata.content_end) == (utc("2019-05-18T16:05:59.123456"),
                                                              utc("2019-05-18T16:14:34.654321"))
    assert metadata.footprint is not None
    assert metadata.footprint.equals(GEOSGeometry(
        "MULTIPOLYGON (((146 -30, 147 -30, 151 -10, 151 -9, 150 -9, 146 -29, 146 -30)))", srid=4326))
    assert {k: metadata.attributes.get(k) for k in (
        "productComposition", "swathIdentifier", "polarisationChannels", "processingCenter", "processorVersion",
        "relativeOrbitNumber", "startTimeFromAscendingNode", "sliceProductFlag", "processingLevel")} == {
        "productComposition": "Individual", "swathIdentifier": "WV1", "polarisationChannels": "VV",
        "processingCenter": "Telespazio-Matera", "processorVersion": "003.10", "relativeOrbitNumber": 87,
        "startTimeFromAscendingNode": 3000.0, "sliceProductFlag": False, "processingLevel": "LEVEL2"}


def test_a_daily_tec_aux_takes_its_stop_from_the_name_and_serves_every_unit(tmp_path: Path) -> None:
    name = "S1__AUX_TEC_V20190805T000000_20190805T235959_G20200210T102615.SAFE"
    manifest = s1_aux_manifest(aux_type="AUX_TEC", validity="2019-08-05T00:00:00.000000",
                               generation="2020-02-10T10:26:15.000000", number=None)
    metadata = extract(write_folder(tmp_path, name, {"manifest.safe": manifest}))
    assert (metadata.platform, metadata.product_type, metadata.instrument_configuration_id) == ("_", "AUX_TEC", 9)
    assert (metadata.validity_start, metadata.validity_stop) == (utc("2019-08-05T00:00:00"),
                                                                 utc("2019-08-05T23:59:59"))
    assert (metadata.content_start, metadata.content_end) == (utc("2019-08-05T00:00:00"), utc("2019-08-05T23:59:59"))
    assert "platformSerialIdentifier" not in metadata.attributes
    assert {k: metadata.attributes[k] for k in ("processorName", "processorVersion", "productGeneration")} == {
        "processorName": "S1-AUX-GEN", "processorVersion": "1.4", "productGeneration": utc("2020-02-10T10:26:15")}


@pytest.mark.parametrize(("consolidation", "family", "slice_number"), [
    ("SLICE", "L0_SLICE", 4), ("SLICE", "L0_SLICE", None), ("PARTIAL", "L0_SEGMENT", None),
])
def test_a_single_polarisation_sv_product_is_a_slice_or_a_segment_by_its_consolidation(
        tmp_path: Path, consolidation: str, family: str, slice_number: int | None) -> None:
    name = "S1A_IW_RAW__0SSV_20200120T124746_20200120T124818_030884_038B5E_9471.SAFE"
    metadata = extract(l0(tmp_path, name, mode="IW", start="2020-01-20T12:47:46.5Z", stop="2020-01-20T12:48:18.1Z",
                          channels=("VV",), stores=(25,), consolidation=consolidation, coordinates=IW_RING,
                          slice_number=slice_number))
    assert metadata.family == family
    # a slice without sliceNumber is slice 1 (naming-and-metadata.md §4.2); segments have none
    expected = slice_number or (1 if family == "L0_SLICE" else None)
    assert metadata.attributes.get("sliceNumber") == expected


def test_a_manifest_contradicting_a_one_channel_name_wins_and_is_logged(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    name = "S1A_IW_RAW__0SVH_20200120T124746_20200120T124818_030884_038B5E_9472.SAFE"
    with caplog.at_level(logging.WARNING, logger="rs.ingestion.extraction"):
        metadata = extract(l0(tmp_path, name, mode="IW", start="2020-01-20T12:47:46.5Z",
                              stop="2020-01-20T12:48:18.1Z", channels=("VH",), stores=(25,), consolidation="SLICE",
                              coordinates=IW_RING, slice_number=2))
    assert metadata.family == "L0_SLICE"
    assert "productConsolidation SLICE contradicts the name's L0_SEGMENT" in caplog.text


def test_an_rf_product_has_a_nadir_line_and_nrt_timeliness_from_its_packet_store(tmp_path: Path) -> None:
    name = "S1A_RF_RAW__0SVV_20210104T071910_20210104T071911_035985_043734_A9E3.SAFE"
    metadata = extract(l0(tmp_path, name, mode="RF", start="2021-01-04T07:19:10.2Z", stop="2021-01-04T07:19:11.3Z",
                          channels=("VV",), stores=(10,), consolidation="FULL", datatake=276276, orbit=35985,
                          coordinates="10.0,20.0 12.0,19.5"))
    assert (metadata.family, metadata.timeliness) == ("L0_SEGMENT", "NRT")
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == "LINESTRING (20 10, 19.5 12)"
    assert metadata.attributes["relativeOrbitNumber"] == 12  # the manifest wins over the formula (35985 → 38)


def test_a_gps_segment_has_no_footprint_and_the_gps_attributes(tmp_path: Path) -> None:
    name = "S1B_GP_RAW__0____20200120T163021_20200120T163241_019903_025A62_1A2B.SAFE"
    metadata = extract(l0(tmp_path, name, mode="GP", start="2020-01-20T16:30:21.1Z", stop="2020-01-20T16:32:41.9Z",
                          channels=(), stores=(49,), consolidation=None, datatake=154210, orbit=19903))
    assert (metadata.family, metadata.footprint, metadata.timeliness) == ("L0_SEGMENT", None, "NRT")
    assert set(metadata.attributes) == {
        "productType", "platformShortName", "platformSerialIdentifier", "processingDate", "processingCenter",
        "processorName", "processorVersion", "beginningDateTime", "endingDateTime", "origin", "authority",
        "orbitNumber", "relativeOrbitNumber", "cycleNumber", "orbitDirection", "startTimeFromAscendingNode",
        "completionTimeFromAscendingNode", "instrumentShortName"}
    assert metadata.attributes["platformSerialIdentifier"] == "B"  # the name wins over the manifest's 'A'


def test_a_calibration_product_carries_the_quality_counters(tmp_path: Path) -> None:
    name = "S1A_EW_RAW__0CDH_20200120T123336_20200120T124032_030884_038B5C_AE7B.SAFE"
    metadata = extract(l0(tmp_path, name, mode="EW", start="2020-01-20T12:33:36.4Z", stop="2020-01-20T12:40:32.8Z",
                          channels=("HV", "HH"), stores=(40, 25), consolidation="FULL", klass="C",
                          coordinates=IW_RING, datatake=232284, quality=True))
    assert (metadata.family, metadata.timeliness) == ("L0_ACN", "PT")
    assert {k: v for k, v in metadata.attributes.items() if k.startswith("quality")} == {
        "qualityDataObjectID": "measurementData1", "qualityNumOfElement": 1200, "qualityNumOfMissingElements": 3,
        "qualityNumOfCorruptedElements": 1, "qualityNumOfRSIncorrigibleElements": 0,
        "qualityNumOfRSCorrectedElements": 7, "qualityNumOfRSCorrectedSymbols": 9}
    assert (metadata.attributes["polarisationChannels"], metadata.attributes["totalSlices"]) == ("HH&HV", 7)


@pytest.mark.parametrize(("manifest", "reason"), [
    ({"coordinates": "30.0,-103.0 18.0,-105.0"}, "invalid footprint: a footprint ring needs at least 3 distinct"),
    ({"coordinates": "30.0;-103.0 18.0;-105.0 17.7;-103.3"}, "is not 'lat,lon lat,lon …'"),
    ({"start": "yesterday"}, "startTime 'yesterday' is not a date and time"),
    ({"coordinates": "95.0,-103.0 18.0,-105.0 17.7,-103.3 30.1,-100.6"}, "is out of range"),
])
def test_bad_manifest_values_are_refused_with_the_field(tmp_path: Path, manifest: dict[str, str],
                                                         reason: str) -> None:
    name = "S1A_IW_RAW__0SDV_20200120T124746_20200120T124818_030884_038B5E_9473.SAFE"
    values = {"mode": "IW", "start": "2020-01-20T12:47:46.5Z", "stop": "2020-01-20T12:48:18.1Z",
              "channels": ("VV", "VH"), "stores": (25, 24), "consolidation": "SLICE", "coordinates": IW_RING,
              **manifest}
    with pytest.raises(ExtractionError) as refused:
        extract(l0(tmp_path, name, **values))
    assert reason in str(refused.value)
    assert "manifest.safe of " + name in str(refused.value)
