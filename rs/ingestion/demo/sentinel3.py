"""Sentinel-3 demo products with an xfdumanifest.xml in the layout of the real one (../samples/s3): an OLCI and an
SLSTR L0 product (inputs of the OL1 and SL1 chains), two OLCI L1 EFR frames (one over Fiji, crossing the
antimeridian) and the aux files of the chains (AX___BA__AX, OL_1_CLUTAX, SL_1_GEO_AX, SL_2_LSTCAX)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from rs.ingestion.demo.geometry import space_pairs, swath
from rs.ingestion.demo.writing import FMT, Written, iso, payload, write_folder

SATELLITE = "S3A"
INSTRUMENTS = {"OL": ("OLCI", "Ocean Land Colour Instrument", "olci"),
               "SL": ("SLSTR", "Sea and Land Surface Temperature Radiometer", "slstr")}


def _manifest(*, name: str, product_type: str, timeliness: str, baseline: str, creation: datetime,
              start: datetime | None, stop: datetime | None, validity: tuple[datetime, datetime] | None,
              orbit: int, relative_orbit: int, corners: list[tuple[float, float]] | None, level: str) -> bytes:
    period = "" if start is None or stop is None else f"""
    <metadataObject ID="acquisitionPeriod"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:acquisitionPeriod>
        <sentinel-safe:startTime>{iso(start)}</sentinel-safe:startTime>
        <sentinel-safe:stopTime>{iso(stop)}</sentinel-safe:stopTime>
      </sentinel-safe:acquisitionPeriod>
    </xmlData></metadataWrap></metadataObject>"""
    applicability = "" if validity is None else (
        f"<sentinel3:validityStartTime>{iso(validity[0])}</sentinel3:validityStartTime>"
        f"<sentinel3:validityStopTime>{iso(validity[1])}</sentinel3:validityStopTime>")
    frame = "" if corners is None else f"""
    <metadataObject ID="measurementFrameSet"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:frameSet><sentinel-safe:footPrint srsName="http://www.opengis.net/def/crs/EPSG/0/4326">
        <gml:posList>{space_pairs(corners)}</gml:posList>
      </sentinel-safe:footPrint></sentinel-safe:frameSet>
    </xmlData></metadataWrap></metadataObject>"""
    abbreviation, family_name, namespace = INSTRUMENTS.get(product_type[:2], INSTRUMENTS["OL"])
    covers = "" if level != "1" else """
    <metadataObject ID="olciProductInformation"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <olci:olciProductInformation><olci:classificationSummary>
        <sentinel3:salineWaterPixels percentage="61.0"/><sentinel3:coastalPixels percentage="2.5"/>
        <sentinel3:freshInlandWaterPixels percentage="0.5"/><sentinel3:tidalRegionPixels percentage="0.2"/>
        <sentinel3:landPixels percentage="35.8"/><sentinel3:brightPixels percentage="9.4"/>
        <sentinel3:cloudyPixels percentage="41.0"/>
      </olci:classificationSummary></olci:olciProductInformation>
    </xmlData></metadataWrap></metadataObject>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:gml="http://www.opengis.net/gml"
    xmlns:sentinel-safe="http://www.esa.int/safe/sentinel/1.1"
    xmlns:sentinel3="http://www.esa.int/safe/sentinel/sentinel-3/1.0"
    xmlns:{namespace}="http://www.esa.int/safe/sentinel/sentinel-3/{namespace}/1.0"
    version="esa/safe/sentinel/1.1/sentinel-3/{namespace}">
  <informationPackageMap>
    <xfdu:contentUnit unitType="SAFE Archive Information Package" textInfo="{product_type}" dmdID="_dmdID"/>
  </informationPackageMap>
  <metadataSection>{period}
    <metadataObject ID="platform"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:platform>
        <sentinel-safe:nssdcIdentifier>2016-011A</sentinel-safe:nssdcIdentifier>
        <sentinel-safe:familyName>Sentinel-3</sentinel-safe:familyName>
        <sentinel-safe:number>A</sentinel-safe:number>
        <sentinel-safe:instrument>
          <sentinel-safe:familyName abbreviation="{abbreviation}">{family_name}</sentinel-safe:familyName>
          <sentinel-safe:mode identifier="Earth Observation">EO</sentinel-safe:mode>
        </sentinel-safe:instrument>
      </sentinel-safe:platform>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="generalProductInformation"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel3:generalProductInformation>
        <sentinel3:productName>{name}</sentinel3:productName>
        <sentinel3:productType>{product_type}</sentinel3:productType>
        <sentinel3:timeliness>{timeliness}</sentinel3:timeliness>
        <sentinel3:baselineCollection>{baseline}</sentinel3:baselineCollection>
        <sentinel3:creationTime>{creation:{FMT}}</sentinel3:creationTime>{applicability}
      </sentinel3:generalProductInformation>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="measurementOrbitReference"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:orbitReference>
        <sentinel-safe:orbitNumber type="start" groundTrackDirection="descending">{orbit}</sentinel-safe:orbitNumber>
        <sentinel-safe:orbitNumber type="stop" groundTrackDirection="descending">{orbit}</sentinel-safe:orbitNumber>
        <sentinel-safe:relativeOrbitNumber type="start">{relative_orbit}</sentinel-safe:relativeOrbitNumber>
        <sentinel-safe:relativeOrbitNumber type="stop">{relative_orbit}</sentinel-safe:relativeOrbitNumber>
        <sentinel-safe:cycleNumber>{orbit // 385 + 1}</sentinel-safe:cycleNumber>
      </sentinel-safe:orbitReference>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="processing"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:processing name="Processing" start="{iso(creation)}">
        <sentinel-safe:facility name="RS demo" organisation="EUMETSAT" site="PS1">
          <sentinel-safe:software name="IPF-OL-{level}" version="06.17"/>
        </sentinel-safe:facility>
      </sentinel-safe:processing>
    </xmlData></metadataWrap></metadataObject>{frame}{covers}
  </metadataSection>
</xfdu:XFDU>
""".encode()


def _product(root: Path, *, product_type: str, start: datetime, duration_s: int, creation: datetime,
             instance: str, centre: str, timeliness: str, orbit: int, relative_orbit: int,
             corners: list[tuple[float, float]] | None, level: str, archive: str = "") -> Written:
    stop = start + timedelta(seconds=duration_s)
    name = (f"{SATELLITE}_{product_type}_{start:{FMT}}_{stop:{FMT}}_{creation:{FMT}}_{instance}_{centre}_O_"
            f"{timeliness}_002.SEN3")
    files = {"xfdumanifest.xml": _manifest(
        name=name, product_type=product_type, timeliness=timeliness, baseline="002", creation=creation, start=start,
        stop=stop, validity=None, orbit=orbit, relative_orbit=relative_orbit, corners=corners, level=level)}
    bands = ("Oa01_radiance", "Oa08_radiance", "geo_coordinates") if level == "1" else (
        f"{product_type[:2]}_0_packets",)
    for band in bands:
        files[f"{band}.nc"] = payload(f"{name}{band}", 16_000)
    return write_folder(root, name, files, available=creation + timedelta(minutes=2), archive=archive)


def _aux(root: Path, *, product_type: str, validity: tuple[datetime, datetime], creation: datetime) -> Written:
    name = (f"{SATELLITE}_{product_type}_{validity[0]:{FMT}}_{validity[1]:{FMT}}_{creation:{FMT}}_"
            f"{'_' * 17}_MPC_O_AL_002.SEN3")
    files = {"xfdumanifest.xml": _manifest(
        name=name, product_type=product_type, timeliness="AL", baseline="002", creation=creation, start=None,
        stop=None, validity=validity, orbit=0, relative_orbit=0, corners=None, level="_"),
        "auxiliary_data.nc": payload(name, 6_000)}
    return write_folder(root, name, files, available=creation)


def generate(root: Path, t0: datetime) -> list[Written]:
    start = t0 + timedelta(hours=2, minutes=40)
    orbit, relative = 45001, 310
    # The L0 products of the OL1 and SL1 chains: a pass over Scandinavia before the two L1 frames below.
    l0_start = t0 + timedelta(hours=2, minutes=10)
    written = [_product(root, product_type=product_type, start=l0_start, duration_s=180,
                        creation=l0_start + timedelta(minutes=20), instance="0180_142_310_____", centre="SVL",
                        timeliness="NR", orbit=orbit, relative_orbit=relative,
                        corners=swath(18.0, 63.0, along_km=1100, across_km=width, heading=-168), level="0")
               for product_type, width in (("OL_0_EFR___", 1270), ("SL_0_SLT___", 1400))]
    for index, (lon, lat) in enumerate(((22.0, 58.0), (179.4, -17.2))):  # Baltic, then Fiji (crosses ±180°)
        frame_start = start + timedelta(minutes=50 * index)
        written.append(_product(
            root, product_type="OL_1_EFR___", start=frame_start, duration_s=180,
            creation=frame_start + timedelta(minutes=45),
            instance=f"0179_142_{relative + index:03d}_{2340 + index:04d}",
            centre="PS1", timeliness="NR", orbit=orbit + index, relative_orbit=relative + index,
            corners=swath(lon, lat, along_km=1100, across_km=1270, heading=-168), level="1",
            archive=".zip" if index == 1 else ""))
    created = t0 - timedelta(days=10)
    written.append(_aux(root, product_type="AX___BA__AX", validity=(created, created + timedelta(days=365)),
                        creation=created))
    for product_type in ("OL_1_CLUTAX", "SL_1_GEO_AX", "SL_2_LSTCAX"):
        written.append(_aux(root, product_type=product_type, validity=(created, created + timedelta(days=3650)),
                            creation=created))
    return written
