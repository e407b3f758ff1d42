"""Sentinel-3 extraction: the real OLCI sample field by field, fixtures of SLSTR, SRAL, aux and ISIP granules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rs.catalog.services import ProductMetadata
from rs.ingestion.extraction import ProductReader, extract_metadata
from rs.ingestion.names import identify
from rs.ingestion.tests.fixtures.documents_s2_s3 import s3_aux_manifest, s3_iif, s3_manifest
from rs.ingestion.tests.fixtures.packaging import write_folder, write_tar
from rs.ingestion.tests.fixtures.samples import sample


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def extract(path: Path) -> ProductMetadata:
    with ProductReader.open(path) as reader:
        return extract_metadata(identify(path.name), reader)


def test_the_olci_sample_takes_the_name_over_its_placeholders() -> None:
    metadata = extract(sample("s3/S3B_OL_1_EFR____20040703T003000_20040703T003200_20160204T070933_DDDD_001_002_FFFF"
                              "_WER_D_NR_NNN.SEN3"))
    assert (metadata.mission, metadata.platform, metadata.family, metadata.product_type, metadata.level) == (
        "S3", "B", "S3_L1_NRT", "OL_1_EFR___", "L1")
    assert (metadata.mode, metadata.timeliness, metadata.generation_date) == ("FR", "NR", utc("2016-02-04T07:09:33"))
    assert (metadata.content_start, metadata.content_end) == (utc("2004-07-03T00:30:00.906"),
                                                              utc("2004-07-03T00:32:00.906"))
    assert metadata.footprint is not None  # the clockwise posList, reversed to counter-clockwise
    assert metadata.footprint.wkt == (
        "MULTIPOLYGON (((-14.312935 -14.387472, -14.312935 -11.387472, -75.312935 -11.387472, "
        "-75.312935 -14.93704, -14.312935 -14.387472)))")
    assert metadata.attributes == {
        "origin": "ESA", "authority": "ESA", "platformShortName": "SENTINEL-3", "platformSerialIdentifier": "B",
        "instrumentShortName": "OLCI", "productType": "OL_1_EFR___",
        "beginningDateTime": utc("2004-07-03T00:30:00.906"), "endingDateTime": utc("2004-07-03T00:32:00.906"),
        "processingDate": utc("2016-02-04T07:09:33"), "processingCenter": "WER", "processorName": "ACQ-WERUM",
        "processorVersion": "1.0", "timeliness": "NR", "baselineCollection": "NNN", "processingLevel": "1",
        "operationalMode": "FR", "orbitNumber": 9895, "relativeOrbitNumber": 2, "cycleNumber": 1,
        "coordinates": "-14.937040 -75.312935 -11.387472 -75.312935 -11.387472 -14.312935 -14.387472 -14.312935 "
                       "-14.937040 -75.312935",
        # the name's instance id holds placeholders (DDDD, FFFF): the manifest's productUnit gives them
        "productUnitType": "FRAME", "productUnitDuration": 1, "alongTrackCoordinate": 1,
        # dumpInformation: the first granule of its dump (S3 granule completeness reads FIRST and LAST)
        "granuleNumber": 1, "granulePosition": "FIRST", "dumpStart": utc("2004-07-03T00:28:17.706"),
    }


def test_an_slstr_product_reads_the_1_km_covers_first(tmp_path: Path) -> None:
    name = "S3B_SL_1_RBT____20190116T050535_20190116T050835_20190117T125958_0179_021_048_0000_LN2_O_NT_003.SEN3"
    covers = ('<classificationSummary grid="0.5 km"><salineWaterPixels percentage="1.0"/></classificationSummary>'
              '<classificationSummary grid="1 km"><salineWaterPixels percentage="61.5"/>'
              '<coastalPixels percentage="0.25"/><freshInlandWaterPixels percentage="0.5"/>'
              '<tidalRegionPixels percentage="0.75"/><landPixels percentage="37.0"/>'
              '<cloudyPixels percentage="48.125"/></classificationSummary>')
    manifest = s3_manifest(product_name=name, product_type="SL_1_RBT___", timeliness="NT", baseline="003",
                           start="2019-01-16T05:05:35.123Z", stop="2019-01-16T05:08:35.456Z",
                           creation="20190117T125958", family_abbreviation="SLSTR", mode="EO", body=covers,
                           pos_list="60.0 10.0 60.0 20.0 50.0 20.0 50.0 10.0 60.0 10.0")
    metadata = extract(write_folder(tmp_path, name, {"xfdumanifest.xml": manifest}))
    assert (metadata.family, metadata.timeliness, metadata.mode) == ("S3_L1_NTC", "NT", "EO")
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == "MULTIPOLYGON (((10 50, 20 50, 20 60, 10 60, 10 50)))"
    assert {k: v for k, v in metadata.attributes.items() if k.endswith("Cover")} == {
        "salineWaterCover": 61.5, "coastalCover": 0.25, "freshInlandWaterCover": 0.5, "tidalRegionCover": 0.75,
        "landCover": 37.0, "cloudCover": 48.125}
    assert {k: metadata.attributes[k] for k in (
        "orbitNumber", "orbitDirection", "lastOrbitNumber", "lastOrbitDirection", "relativeOrbitNumber",
        "lastRelativeOrbitNumber", "cycleNumber", "processingCenter", "processorName", "instrumentShortName")} == {
        "orbitNumber": 4932, "orbitDirection": "descending", "lastOrbitNumber": 4933, "lastOrbitDirection": "ascending",
        "relativeOrbitNumber": 48, "lastRelativeOrbitNumber": 49, "cycleNumber": 21,
        "processingCenter": "Land Surface Processing Centre", "processorName": "PUG", "instrumentShortName": "SLSTR"}
    # a frame: duration 179 s and along-track coordinate 0 from the instance id of the name (0179_021_048_0000)
    assert {k: metadata.attributes.get(k) for k in ("productUnitDuration", "alongTrackCoordinate")} == {
        "productUnitDuration": 179, "alongTrackCoordinate": 0}


def test_a_sral_product_reads_its_surface_percentages(tmp_path: Path) -> None:
    name = "S3A_SR_2_LAN____20200101T101010_20200101T101910_20200101T120000_0540_053_279______LN3_O_NR_004.SEN3"
    sral = ('<sralProductInformation><landPercentage>20.0</landPercentage>'
            '<closedSeaPercentage>1.5</closedSeaPercentage><continentalIcePercentage>3.0</continentalIcePercentage>'
            '<openOceanPercentage>75.5</openOceanPercentage></sralProductInformation>')
    manifest = s3_manifest(product_name=name, product_type="SR_2_LAN___", timeliness="NR", baseline="004",
                           start="2020-01-01T10:10:10.5Z", stop="2020-01-01T10:19:10.5Z", creation="20200101T120000",
                           family_abbreviation="SRAL", mode="LRM", body=sral)
    metadata = extract(write_folder(tmp_path, name, {"xfdumanifest.xml": manifest}))
    assert (metadata.family, metadata.footprint) == ("S3_L2_NRT", None)
    assert {k: v for k, v in metadata.attributes.items() if k.endswith("Cover")} == {
        "landCover": 20.0, "closedSeaCover": 1.5, "continentalIceCover": 3.0, "openOceanCover": 75.5}
    # a stripe (0540_053_279_____): its duration, no along-track coordinate, no dump information in this manifest
    assert metadata.attributes["productUnitDuration"] == 540
    assert not {"alongTrackCoordinate", "granuleNumber", "granulePosition", "dumpStart"} & set(metadata.attributes)


def test_an_s3_aux_takes_its_validity_from_general_product_information(tmp_path: Path) -> None:
    name = "S3A_AX___BA__AX_20040702T223000_20040704T042158_20171130T082116___________________WER_D_AL____.SEN3"
    manifest = s3_aux_manifest(product_name=name, validity_start="2004-07-02T22:30:00.000000Z",
                               validity_stop="2004-07-04T04:21:58.000000Z", creation="20171130T082116")
    metadata = extract(write_folder(tmp_path, name, {"xfdumanifest.xml": manifest}))
    assert (metadata.family, metadata.level, metadata.timeliness) == ("S3_AUX", "AUX", "AL")
    assert (metadata.validity_start, metadata.validity_stop) == (utc("2004-07-02T22:30:00"),
                                                                 utc("2004-07-04T04:21:58"))
    assert metadata.attributes == {
        "origin": "ESA", "authority": "ESA", "platformShortName": "SENTINEL-3", "platformSerialIdentifier": "A",
        "productType": "AX___BA__AX", "beginningDateTime": utc("2004-07-02T22:30:00"),
        "endingDateTime": utc("2004-07-04T04:21:58"), "processingDate": utc("2017-11-30T08:21:16"),
        "processingCenter": "Werum", "processorName": "AUX-GEN", "processorVersion": "2.0", "timeliness": "AL",
    }


def test_an_s3_aux_whose_manifest_has_a_frame_is_catalogued_without_footprint(tmp_path: Path) -> None:
    # the catalogue refuses a footprint on an auxiliary file: extraction must not hand it the manifest's frame
    name = "S3A_AX___BA__AX_20040702T223000_20040704T042158_20171130T082116___________________WER_D_AL____.SEN3"
    manifest = s3_aux_manifest(product_name=name, validity_start="2004-07-02T22:30:00.000000Z",
                               validity_stop="2004-07-04T04:21:58.000000Z", creation="20171130T082116")
    frame = ('<frameSet xmlns="http://www.esa.int/safe/sentinel/1.1/sentinel-3"><footPrint>'
             "<posList>50 10 50 12 52 12 52 10 50 10</posList></footPrint></frameSet>")
    manifest = manifest.replace("</metadataSection>", f"{frame}</metadataSection>")
    metadata = extract(write_folder(tmp_path, name, {"xfdumanifest.xml": manifest}))
    assert (metadata.family, metadata.footprint) == ("S3_AUX", None)
    assert "coordinates" not in metadata.attributes


def test_an_isip_granule_reads_its_information_file(tmp_path: Path) -> None:
    stem = "S3A_SL_0_SLT__G_20040702T235915_20040703T000415_20150424T160530___________________WER_D_______"
    archive = write_tar(tmp_path / f"{stem}.ISIP.tar", {
        f"{stem}_iif.xml": s3_iif(start="2004-07-02T23:59:15.250000Z", stop="2004-07-03T00:04:15.750000Z"),
        "ISPData.dat": b"\7" * 128}, top=f"{stem}.ISIP")
    with ProductReader.open(archive) as reader:
        metadata = extract_metadata(identify(archive.name), reader)
    assert (metadata.family, metadata.level, metadata.product_type, metadata.generation_date) == (
        "S3_GRANULES", "L0", "SL_0_SLT__G", utc("2015-04-24T16:05:30"))
    assert (metadata.content_start, metadata.content_end) == (utc("2004-07-02T23:59:15.25"),
                                                              utc("2004-07-03T00:04:15.75"))
    assert metadata.attributes == {
        "origin": "ESA", "authority": "ESA", "platformShortName": "SENTINEL-3", "platformSerialIdentifier": "A",
        "productType": "SL_0_SLT__G", "instrumentShortName": "SLSTR", "processingCenter": "WER",
        "processingDate": utc("2015-04-24T16:05:30"), "beginningDateTime": utc("2004-07-02T23:59:15.25"),
        "endingDateTime": utc("2004-07-03T00:04:15.75"), "granuleNumber": 3, "granulePosition": "MIDDLE"}
