"""Sentinel-1 SAFE products (L0 segments, slices and A/C/N, L1 SLC/GRD, L2 OCN) with manifest.safe in the layout of
the real ones: the product unique id of the name is the CRC-16 of the manifest."""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ipfsim.geometry import Point
from ipfsim.products import compact, iso, payload, png, write_files

NS = ('xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:gml="http://www.opengis.net/gml" '
      'xmlns:safe="http://www.esa.int/safe/sentinel-1.0" xmlns:s1="http://www.esa.int/safe/sentinel-1.0/sentinel-1" '
      'xmlns:s1sar="http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar" '
      'xmlns:s1sarl1="http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-1" '
      'xmlns:s1sarl2="http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-2"')
# Packet stores of the measurement data per timeliness (AUX_OBMEMC factory values of S1A).
PACKET_STORES = {"NRT": ("10", "11"), "PT": ("38", "39"), "FAST24": ("24", "25")}


@dataclass(frozen=True)
class S1Scene:
    satellite: str  # S1A
    mode: str  # IW
    polarisation: str  # DV
    start: datetime
    stop: datetime
    orbit: int
    datatake: int
    icid: int
    corners: list[Point]  # near-start, far-start, far-stop, near-stop
    anx: datetime


def _relative_orbit(satellite: str, orbit: int) -> int:
    return (orbit - {"S1B": 27}.get(satellite, 73)) % 175 + 1


def _coordinates(points: list[Point]) -> str:
    return " ".join(f"{lat:.4f},{lon:.4f}" for lat, lon in points)


def _metadata(ident: str, body: str, category: str = "DMD", classification: str = "DESCRIPTION") -> str:
    return (f'    <metadataObject ID="{ident}" classification="{classification}" category="{category}">\n'
            f'      <metadataWrap mimeType="text/xml" vocabularyName="SAFE"><xmlData>\n{body}\n'
            f"      </xmlData></metadataWrap>\n    </metadataObject>")


def _common(scene: S1Scene, *, prefix: str, processing: str, software: str, version: str, moment: datetime,
            site: str, zone: bool, corners: list[Point]) -> list[str]:
    relative = _relative_orbit(scene.satellite, scene.orbit)
    start_anx = (scene.start - scene.anx).total_seconds() * 1000
    stop_anx = (scene.stop - scene.anx).total_seconds() * 1000
    return [
        _metadata("processing", f"""        <safe:processing name="{processing}" start="{iso(moment, zone=False)}"
            stop="{iso(moment + timedelta(seconds=1), zone=False)}">
          <safe:facility country="Italy" name="Copernicus Reference System" organisation="ESA" site="{site}">
            <safe:software name="{software}" version="{version}"/>
          </safe:facility>
        </safe:processing>""", category="PDI", classification="PROVENANCE"),
        _metadata("platform", f"""        <safe:platform>
          <safe:nssdcIdentifier>2014-016A</safe:nssdcIdentifier>
          <safe:familyName>SENTINEL-1</safe:familyName>
          <safe:number>{scene.satellite[2:]}</safe:number>
          <safe:instrument>
            <safe:familyName abbreviation="SAR">Synthetic Aperture Radar</safe:familyName>
            <safe:extension><{prefix}:instrumentMode><{prefix}:mode>{scene.mode}</{prefix}:mode></{prefix}:instrumentMode></safe:extension>
          </safe:instrument>
        </safe:platform>"""),
        _metadata("measurementOrbitReference", f"""        <safe:orbitReference>
          <safe:orbitNumber type="start">{scene.orbit}</safe:orbitNumber>
          <safe:orbitNumber type="stop">{scene.orbit}</safe:orbitNumber>
          <safe:relativeOrbitNumber type="start">{relative}</safe:relativeOrbitNumber>
          <safe:relativeOrbitNumber type="stop">{relative}</safe:relativeOrbitNumber>
          <safe:cycleNumber>{(scene.orbit - 73) // 175 + 1}</safe:cycleNumber>
          <safe:phaseIdentifier>1</safe:phaseIdentifier>
          <safe:extension><s1:orbitProperties><s1:pass>ASCENDING</s1:pass>
            <s1:ascendingNodeTime>{iso(scene.anx)}</s1:ascendingNodeTime></s1:orbitProperties></safe:extension>
        </safe:orbitReference>"""),
        _metadata("acquisitionPeriod", f"""        <safe:acquisitionPeriod>
          <safe:startTime>{iso(scene.start, zone=zone)}</safe:startTime>
          <safe:stopTime>{iso(scene.stop, zone=zone)}</safe:stopTime>
          <safe:extension><s1:timeANX><s1:startTimeANX>{start_anx:.4f}</s1:startTimeANX>
            <s1:stopTimeANX>{stop_anx:.4f}</s1:stopTimeANX></s1:timeANX></safe:extension>
        </safe:acquisitionPeriod>"""),
        _metadata("measurementFrameSet", f"""        <safe:frameSet><safe:frame>
          <safe:footPrint srsName="http://www.opengis.net/gml/srs/epsg.xml#4326">
            <gml:coordinates>{_coordinates(corners)}</gml:coordinates>
          </safe:footPrint>
        </safe:frame></safe:frameSet>"""),
    ]


def _data_objects(files: dict[str, bytes]) -> str:
    import hashlib

    return "\n".join(
        f'    <dataObject ID="{Path(path).stem.replace("-", "")}" repID="measurementSchema">\n'
        f'      <byteStream mimeType="application/octet-stream" size="{len(data)}">\n'
        f'        <fileLocation locatorType="URL" href="./{path}"/>\n'
        f'        <checksum checksumName="MD5">{hashlib.md5(data, usedforsecurity=False).hexdigest()}</checksum>\n'
        f"      </byteStream>\n    </dataObject>" for path, data in sorted(files.items()))


def _xfdu(version: str, sections: list[str], files: dict[str, bytes]) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<xfdu:XFDU {NS} version="{version}">\n'
            f'  <informationPackageMap><xfdu:contentUnit unitType="SAFE Archive Information Package" '
            f'dmdID="acquisitionPeriod platform generalProductInformation measurementOrbitReference" '
            f'pdiID="processing"/></informationPackageMap>\n'
            f"  <metadataSection>\n{chr(10).join(sections)}\n  </metadataSection>\n"
            f"  <dataObjectSection>\n{_data_objects(files)}\n  </dataObjectSection>\n</xfdu:XFDU>\n").encode()


def _name(scene: S1Scene, product_type: str, manifest: bytes, extension: str) -> str:
    crc = binascii.crc_hqx(manifest, 0xFFFF)
    return (f"{scene.satellite}_{scene.mode}_{product_type}{scene.polarisation}_{compact(scene.start)}_"
            f"{compact(scene.stop)}_{scene.orbit:06d}_{scene.datatake:06X}_{crc:04X}{extension}")


def level0_write(folder: Path, scene: S1Scene, *, klass: str, consolidation: str, timeliness: str,
                 slice_number: int | None, moment: datetime, software: str, version: str,
                 extension: str = ".SAFE") -> Path:
    """An L0 product: klass S (segment or slice by `consolidation`), A, C or N."""
    pols = ("vh", "vv") if scene.polarisation in ("DV", "SV") else ("hv", "hh")
    stem = (f"{scene.satellite.lower()}-{scene.mode.lower()}-raw-{klass.lower()}-{{}}-{scene.start:%Y%m%dt%H%M%S}-"
            f"{scene.stop:%Y%m%dt%H%M%S}-{scene.orbit:06d}-{scene.datatake:06x}")
    files = {f"{stem.format(p)}.dat": payload(f"{klass}{scene.start}{p}", 24_000) for p in pols}
    files.update({f"{stem.format(p)}-annot.dat": payload(f"{klass}{scene.start}{p}a", 2_000) for p in pols})
    slicing = (f"<s1sar:sliceProductFlag>TRUE</s1sar:sliceProductFlag><s1sar:sliceNumber>{slice_number}"
               "</s1sar:sliceNumber><s1sar:theoreticalSliceLength>25</s1sar:theoreticalSliceLength>"
               "<s1sar:sliceOverlap>7.4</s1sar:sliceOverlap>" if slice_number else
               "<s1sar:sliceProductFlag>FALSE</s1sar:sliceProductFlag>")
    stores = PACKET_STORES.get(timeliness, PACKET_STORES["NRT"])
    per_object = "\n".join(
        f'          <s1sar:{tag} dataObjectID="measurementData{n}">{value}</s1sar:{tag}>'
        for tag, values in (("transmitterReceiverPolarisation", tuple(p.upper() for p in pols)),
                            ("packetStoreID", stores))
        for n, value in enumerate(values, start=1))
    general = _metadata("generalProductInformation", f"""        <s1sar:standAloneProductInformation>
          <s1sar:productClass>{klass}</s1sar:productClass>
          <s1sar:productConsolidation>{consolidation}</s1sar:productConsolidation>
          <s1sar:instrumentConfigurationID>{scene.icid}</s1sar:instrumentConfigurationID>
          <s1sar:missionDataTakeID>{scene.datatake}</s1sar:missionDataTakeID>
          <s1sar:circulationFlag>13</s1sar:circulationFlag>
          {slicing}
{per_object}
        </s1sar:standAloneProductInformation>""")
    sections = _common(scene, prefix="s1sar", processing="Generation of Sentinel-1 L0 SAR Product",
                       software=software, version=version, moment=moment, site="Reference System", zone=True,
                       corners=scene.corners + scene.corners[:1])
    manifest = _xfdu(f"esa/safe/sentinel-1.0/sentinel-1/sar/level-0/standard/{scene.mode.lower()}dp",
                     [*sections, general], files)
    name = _name(scene, f"RAW__0{klass}", manifest, extension)
    return write_files(folder / name, {"manifest.safe": manifest, **files})


def level12_write(folder: Path, scene: S1Scene, *, product_type: str, timeliness: str, slice_number: int,
                  total_slices: int, segment_start: datetime, moment: datetime, software: str,
                  version: str) -> Path:
    """An L1 (SLC__1S, GRDH_1S) or L2 (OCN__2S) slice with a quick-look."""
    level = product_type[-2]
    kind = {"SLC_": "SLC", "GRDH": "GRD", "GRDM": "GRD", "OCN_": "OCN"}[product_type[:4]]
    pols = ("vv", "vh") if scene.polarisation in ("DV", "SV") else ("hh", "hv")
    stem = (f"{scene.satellite.lower()}-{scene.mode.lower()}-{kind.lower()}-{{}}-{scene.start:%Y%m%dt%H%M%S}-"
            f"{scene.stop:%Y%m%dt%H%M%S}-{scene.orbit:06d}-{scene.datatake:06x}")
    extension = "nc" if kind == "OCN" else "tiff"
    files = {f"measurement/{stem.format(p)}-00{i}.{extension}": payload(f"{kind}{scene.start}{p}", 30_000)
             for i, p in enumerate(pols[: 1 if kind == "OCN" else 2], start=1)}
    files.update({f"annotation/{stem.format(p)}-00{i}.xml": f"<product><adsHeader><polarisation>{p.upper()}"
                  f"</polarisation></adsHeader></product>\n".encode()
                  for i, p in enumerate(pols[: 1 if kind == "OCN" else 2], start=1)})
    files["preview/quick-look.png"] = png(seed=f"{kind}{scene.start}")
    prefix = "s1sarl2" if level == "2" else "s1sarl1"
    polarisations = "\n".join(f"          <{prefix}:transmitterReceiverPolarisation>{p.upper()}"
                              f"</{prefix}:transmitterReceiverPolarisation>" for p in pols)
    category = {"NRT": "NRT-3h", "PT": "NRT-10m", "FAST24": "Fast-24h"}.get(timeliness, "NRT-3h")
    general = _metadata("generalProductInformation", f"""        <{prefix}:standAloneProductInformation>
          <{prefix}:instrumentConfigurationID>{scene.icid}</{prefix}:instrumentConfigurationID>
          <{prefix}:missionDataTakeID>{scene.datatake}</{prefix}:missionDataTakeID>
{polarisations}
          <{prefix}:productClass>S</{prefix}:productClass>
          <{prefix}:productComposition>Slice</{prefix}:productComposition>
          <{prefix}:productType>{kind}</{prefix}:productType>
          <{prefix}:productTimelinessCategory>{category}</{prefix}:productTimelinessCategory>
          <{prefix}:sliceProductFlag>true</{prefix}:sliceProductFlag>
          <{prefix}:segmentStartTime>{iso(segment_start, zone=False)}</{prefix}:segmentStartTime>
          <{prefix}:sliceNumber>{slice_number}</{prefix}:sliceNumber>
          <{prefix}:totalSlices>{total_slices}</{prefix}:totalSlices>
        </{prefix}:standAloneProductInformation>""")
    near_start, far_start, far_stop, near_stop = scene.corners
    # L1/L2 manifests list the corners clockwise and unclosed (naming-and-metadata.md §9.1)
    sections = _common(scene, prefix=prefix, processing=f"{kind} Processing", software=software, version=version,
                       moment=moment, site="Reference System", zone=False,
                       corners=[far_start, near_start, near_stop, far_stop])
    product = {"SLC": "slc", "GRD": "grd", "OCN": "ocn"}[kind]
    manifest = _xfdu(f"esa/safe/sentinel-1.0/sentinel-1/sar/level-{level}/{product}/standard/{scene.mode.lower()}",
                     [*sections, general], files)
    name = _name(scene, product_type, manifest, ".SAFE")
    return write_files(folder / name, {"manifest.safe": manifest, **files})
