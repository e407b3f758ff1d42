"""Sentinel-3 products (.SEN3 folders) with an xfdumanifest.xml in the layout of the real ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ipfsim.geometry import Point
from ipfsim.products import compact, iso, payload, png, write_files

INSTRUMENTS = {"OL": ("OLCI", "Ocean Land Colour Instrument", "olci"),
               "SL": ("SLSTR", "Sea and Land Surface Temperature Radiometer", "slstr")}
TIMELINESS = {"NR": "NR", "NRT": "NR", "ST": "ST", "STC": "ST", "NT": "NT", "NTC": "NT"}
MEASUREMENT_FILES = {
    "OL_1_EFR___": ("Oa01_radiance", "Oa08_radiance", "geo_coordinates"),
    "OL_1_ERR___": ("Oa01_radiance", "Oa17_radiance", "geo_coordinates"),
    "OL_2_LFR___": ("ogvi", "otci", "iwv"), "OL_2_WFR___": ("chl_oc4me", "tsm_nn", "w_aer"),
    "SL_1_RBT___": ("S1_radiance_an", "S8_BT_in", "geodetic_an"),
    "SL_2_LST___": ("LST_in", "geodetic_in"), "SL_2_WCT___": ("SST_in", "geodetic_in"),
}


@dataclass(frozen=True)
class S3Scene:
    satellite: str  # S3A
    start: datetime
    stop: datetime
    orbit: int
    relative_orbit: int
    cycle: int
    footprint: list[Point]


def instance_id(scene: S3Scene, *, frame: bool) -> str:
    duration = round((scene.stop - scene.start).total_seconds())
    base = f"{duration:04d}_{scene.cycle:03d}_{scene.relative_orbit:03d}_"
    if not frame:
        return base + "____"
    seconds = scene.start.hour * 3600 + scene.start.minute * 60 + scene.start.second
    return base + f"{(seconds // 3) % 10000:04d}"  # along-track coordinate of the frame


def product_write(folder: Path, scene: S3Scene, *, product_type: str, timeliness: str, baseline: str,
                  creation: datetime, centre: str, frame: bool, software: str, version: str) -> Path:
    source, level = product_type[:2], product_type[3]
    abbreviation, family_name, namespace = INSTRUMENTS[source]
    timeliness = TIMELINESS.get(timeliness, "NR")
    name = (f"{scene.satellite}_{product_type}_{compact(scene.start)}_{compact(scene.stop)}_{compact(creation)}_"
            f"{instance_id(scene, frame=frame)}_{centre}_O_{timeliness}_{baseline}.SEN3")
    pos = " ".join(f"{lat:.6f} {lon:.6f}" for lat, lon in scene.footprint + scene.footprint[:1])
    manifest = f"""<?xml version="1.0" encoding="UTF-8"?>
<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:gml="http://www.opengis.net/gml"
    xmlns:sentinel-safe="http://www.esa.int/safe/sentinel/1.1"
    xmlns:sentinel3="http://www.esa.int/safe/sentinel/sentinel-3/1.0"
    xmlns:{namespace}="http://www.esa.int/safe/sentinel/sentinel-3/{namespace}/1.0"
    version="esa/safe/sentinel/1.1/sentinel-3/{namespace}/level-{level}">
  <informationPackageMap>
    <xfdu:contentUnit unitType="SAFE Archive Information Package" textInfo="{product_type}" dmdID="_dmdID"/>
  </informationPackageMap>
  <metadataSection>
    <metadataObject ID="acquisitionPeriod"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:acquisitionPeriod>
        <sentinel-safe:startTime>{iso(scene.start)}</sentinel-safe:startTime>
        <sentinel-safe:stopTime>{iso(scene.stop)}</sentinel-safe:stopTime>
      </sentinel-safe:acquisitionPeriod>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="platform"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:platform>
        <sentinel-safe:nssdcIdentifier>2016-011A</sentinel-safe:nssdcIdentifier>
        <sentinel-safe:familyName>Sentinel-3</sentinel-safe:familyName>
        <sentinel-safe:number>{scene.satellite[2:]}</sentinel-safe:number>
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
        <sentinel3:creationTime>{compact(creation)}</sentinel3:creationTime>
      </sentinel3:generalProductInformation>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="measurementOrbitReference"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:orbitReference>
        <sentinel-safe:orbitNumber type="start" groundTrackDirection="descending"
          >{scene.orbit}</sentinel-safe:orbitNumber>
        <sentinel-safe:orbitNumber type="stop" groundTrackDirection="descending"
          >{scene.orbit}</sentinel-safe:orbitNumber>
        <sentinel-safe:relativeOrbitNumber type="start">{scene.relative_orbit}</sentinel-safe:relativeOrbitNumber>
        <sentinel-safe:relativeOrbitNumber type="stop">{scene.relative_orbit}</sentinel-safe:relativeOrbitNumber>
        <sentinel-safe:cycleNumber>{scene.cycle}</sentinel-safe:cycleNumber>
      </sentinel-safe:orbitReference>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="processing"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:processing name="Processing" start="{iso(creation)}">
        <sentinel-safe:facility name="Copernicus Reference System" organisation="ESA" site="{centre}">
          <sentinel-safe:software name="{software}" version="{version}"/>
        </sentinel-safe:facility>
      </sentinel-safe:processing>
    </xmlData></metadataWrap></metadataObject>
    <metadataObject ID="measurementFrameSet"><metadataWrap mimeType="text/xml" vocabularyName="DC"><xmlData>
      <sentinel-safe:frameSet><sentinel-safe:footPrint srsName="http://www.opengis.net/def/crs/EPSG/0/4326">
        <gml:posList>{pos}</gml:posList>
      </sentinel-safe:footPrint></sentinel-safe:frameSet>
    </xmlData></metadataWrap></metadataObject>
  </metadataSection>
</xfdu:XFDU>
""".encode()
    files = {"xfdumanifest.xml": manifest, "browse.png": png(seed=name)}
    for variable in MEASUREMENT_FILES.get(product_type, ("measurement",)):
        files[f"{variable}.nc"] = payload(f"{name}{variable}", 16_000)
    return write_files(folder / name, files)
