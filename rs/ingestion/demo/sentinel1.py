"""Sentinel-1 demo products with manifests in the SAFE layout of the real ones (../samples/s1): an IW datatake as L0
slices and annotation/calibration/noise products, L1 GRD slices with a quick-look, the SAFE aux files of the L1 and
L2 chains (AUX_CAL, AUX_INS, AUX_PP1, AUX_PP2, AUX_WND) and Earth Explorer orbit files (AUX_RESORB, MPL_ORBPRE)."""

from __future__ import annotations

import binascii
from datetime import datetime, timedelta
from pathlib import Path

from rs.ingestion.demo.geometry import along_track, comma_pairs, swath
from rs.ingestion.demo.writing import FMT, Written, iso, md5_hex, payload, png, write_file, write_folder

ORBIT_S = 98.6 * 60
NS = ('xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:gml="http://www.opengis.net/gml" '
      'xmlns:safe="http://www.esa.int/safe/sentinel-1.0" xmlns:s1="http://www.esa.int/safe/sentinel-1.0/sentinel-1" '
      'xmlns:s1sar="http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar" '
      'xmlns:s1sarl1="http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-1" '
      'xmlns:s1auxsar="http://www.esa.int/safe/sentinel-1.0/sentinel-1/auxiliary/sar"')


def _data_objects(files: dict[str, bytes], mime: str = "application/octet-stream") -> str:
    return "\n".join(
        f'    <dataObject ID="{Path(path).stem.replace("-", "")}" repID="measurementSchema">\n'
        f'      <byteStream mimeType="{mime}" size="{len(data)}">\n'
        f'        <fileLocation locatorType="URL" href="./{path}"/>\n'
        f'        <checksum checksumName="MD5">{md5_hex(data)}</checksum>\n'
        f"      </byteStream>\n    </dataObject>"
        for path, data in sorted(files.items())
    )


def _metadata(ident: str, body: str, prefix: str = "safe") -> str:
    return (f'    <metadataObject ID="{ident}" classification="DESCRIPTION" category="DMD">\n'
            f'      <metadataWrap mimeType="text/xml" vocabularyName="SAFE"><xmlData>\n{body}\n'
            f"      </xmlData></metadataWrap>\n    </metadataObject>")


def _processing(name: str, start: datetime, site: str, software: str, version: str) -> str:
    return (f'    <metadataObject ID="processing" classification="PROVENANCE" category="PDI">\n'
            f'      <metadataWrap mimeType="text/xml" vocabularyName="SAFE"><xmlData>\n'
            f'        <safe:processing name="{name}" start="{iso(start, zone=False)}" '
            f'stop="{iso(start + timedelta(seconds=40), zone=False)}">\n'
            f'          <safe:facility country="Italy" name="Copernicus RS demo" organisation="ESA" site="{site}">\n'
            f'            <safe:software name="{software}" version="{version}"/>\n'
            f"          </safe:facility>\n        </safe:processing>\n"
            f"      </xmlData></metadataWrap>\n    </metadataObject>")


def _platform(mode: str = "", swath_id: str = "", level1: bool = False) -> str:
    prefix = "s1sarl1" if level1 else "s1sar"
    extension = ""
    if mode:
        swath_line = f"<{prefix}:swath>{swath_id}</{prefix}:swath>" if swath_id else ""
        extension = (f"<safe:extension><{prefix}:instrumentMode><{prefix}:mode>{mode}</{prefix}:mode>{swath_line}"
                     f"</{prefix}:instrumentMode></safe:extension>")
    return _metadata("platform", f"""        <safe:platform>
          <safe:nssdcIdentifier>2014-016A</safe:nssdcIdentifier>
          <safe:familyName>SENTINEL-1</safe:familyName>
          <safe:number>A</safe:number>
          <safe:instrument>
            <safe:familyName abbreviation="SAR">Synthetic Aperture Radar</safe:familyName>{extension}
          </safe:instrument>
        </safe:platform>""")


def _orbit(orbit: int, start: datetime, *, anx: datetime) -> str:
    relative = (orbit - 73) % 175 + 1
    return _metadata("measurementOrbitReference", f"""        <safe:orbitReference>
          <safe:orbitNumber type="start">{orbit}</safe:orbitNumber>
          <safe:orbitNumber type="stop">{orbit}</safe:orbitNumber>
          <safe:relativeOrbitNumber type="start">{relative}</safe:relativeOrbitNumber>
          <safe:relativeOrbitNumber type="stop">{relative}</safe:relativeOrbitNumber>
          <safe:cycleNumber>{(orbit - 73) // 175 + 1}</safe:cycleNumber>
          <safe:phaseIdentifier>1</safe:phaseIdentifier>
          <safe:extension><s1:orbitProperties><s1:pass>ASCENDING</s1:pass>
            <s1:ascendingNodeTime>{iso(anx)}</s1:ascendingNodeTime></s1:orbitProperties></safe:extension>
        </safe:orbitReference>""")


def _period(start: datetime, stop: datetime, anx: datetime, *, zone: bool) -> str:
    start_anx = (start - anx).total_seconds() * 1000
    stop_anx = (stop - anx).total_seconds() * 1000
    return _metadata("acquisitionPeriod", f"""        <safe:acquisitionPeriod>
          <safe:startTime>{iso(start, zone=zone)}</safe:startTime>
          <safe:stopTime>{iso(stop, zone=zone)}</safe:stopTime>
          <safe:extension><s1:timeANX><s1:startTimeANX>{start_anx:.4f}</s1:startTimeANX>
            <s1:stopTimeANX>{stop_anx:.4f}</s1:stopTimeANX></s1:timeANX></safe:extension>
        </safe:acquisitionPeriod>""")


def _frame(corners: list[tuple[float, float]], *, close: bool) -> str:
    return _metadata("measurementFrameSet", f"""        <safe:frameSet><safe:frame>
          <safe:footPrint srsName="http://www.opengis.net/gml/srs/epsg.xml#4326">
            <gml:coordinates>{comma_pairs(corners, close=close)}</gml:coordinates>
          </safe:footPrint>
        </safe:frame></safe:frameSet>""")


def _xfdu(version: str, sections: list[str], files: dict[str, bytes]) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<xfdu:XFDU {NS} version="{version}">\n'
            f'  <informationPackageMap><xfdu:contentUnit unitType="SAFE Archive Information Package" '
            f'dmdID="acquisitionPeriod platform generalProductInformation measurementOrbitReference" '
            f'pdiID="processing"/></informationPackageMap>\n'
            f"  <metadataSection>\n{chr(10).join(sections)}\n  </metadataSection>\n"
            f"  <dataObjectSection>\n{_data_objects(files)}\n  </dataObjectSection>\n</xfdu:XFDU>\n").encode()


def _product_name(kind: str, start: datetime, stop: datetime, orbit: int, datatake: int, manifest: bytes) -> str:
    crc = binascii.crc_hqx(manifest, 0xFFFF)  # the product unique id is the CRC-16 of the manifest
    return f"S1A_{kind}_{start:{FMT}}_{stop:{FMT}}_{orbit:06d}_{datatake:06X}_{crc:04X}.SAFE"


def _level0(kind: str, klass: str, start: datetime, stop: datetime, *, orbit: int, datatake: int, anx: datetime,
            corners: list[tuple[float, float]], slice_number: int | None, consolidation: str) -> tuple[str, dict]:
    stem = f"s1a-iw-raw-{klass.lower()}-{{}}-{start:%Y%m%dt%H%M%S}-{stop:%Y%m%dt%H%M%S}-{orbit:06d}-{datatake:06x}"
    files = {f"{stem.format(p)}.dat": payload(f"{kind}{start}{p}", 24_000) for p in ("vh", "vv")}
    files.update({f"{stem.format(p)}-annot.dat": payload(f"{kind}{start}{p}a", 2_000) for p in ("vh", "vv")})
    slicing = (f"<s1sar:sliceProductFlag>TRUE</s1sar:sliceProductFlag><s1sar:sliceNumber>{slice_number}"
               "</s1sar:sliceNumber><s1sar:theoreticalSliceLength>25</s1sar:theoreticalSliceLength>"
               "<s1sar:sliceOverlap>7.4</s1sar:sliceOverlap>" if slice_number else
               "<s1sar:sliceProductFlag>FALSE</s1sar:sliceProductFlag>")
    per_object = "\n".join(
        f'          <s1sar:{tag} dataObjectID="measurementData{n}">{value}</s1sar:{tag}>'
        for tag, values in (("transmitterReceiverPolarisation", ("VH", "VV")), ("packetStoreID", ("25", "24")))
        for n, value in enumerate(values, start=1))
    general = _metadata("generalProductInformation", f"""        <s1sar:standAloneProductInformation>
          <s1sar:productClass>{klass}</s1sar:productClass>
          <s1sar:productConsolidation>{consolidation}</s1sar:productConsolidation>
          <s1sar:instrumentConfigurationID>7</s1sar:instrumentConfigurationID>
          <s1sar:missionDataTakeID>{datatake}</s1sar:missionDataTakeID>
          <s1sar:circulationFlag>13</s1sar:circulationFlag>
          {slicing}
{per_object}
        </s1sar:standAloneProductInformation>""")
    quality = _metadata("measurementQualityInformation", """        <safe:qualityInformation><safe:extension>
          <s1:qualityProperties><s1:dataObjectID>measurementData1</s1:dataObjectID>
            <s1:numOfElements>12500</s1:numOfElements><s1:numOfMissingElements>0</s1:numOfMissingElements>
            <s1:numOfCorruptedElements>0</s1:numOfCorruptedElements></s1:qualityProperties>
        </safe:extension></safe:qualityInformation>""")
    manifest = _xfdu("esa/safe/sentinel-1.0/sentinel-1/sar/level-0/standard/iwdp", [
        _period(start, stop, anx, zone=True), _platform("IW"), general, _orbit(orbit, start, anx=anx),
        _processing("Generation of Sentinel-1 L0 SAR Product", stop + timedelta(minutes=35), "RS demo ground station",
                    "L0 processor", "3.4.0"),
        _frame(corners, close=True), quality,
    ], files)
    return _product_name(kind, start, stop, orbit, datatake, manifest), {"manifest.safe": manifest, **files}


def _grd(start: datetime, stop: datetime, *, orbit: int, datatake: int, anx: datetime,
         corners: list[tuple[float, float]], slice_number: int, total: int,
         segment_start: datetime) -> tuple[str, dict]:
    stem = f"s1a-iw-grd-{{}}-{start:%Y%m%dt%H%M%S}-{stop:%Y%m%dt%H%M%S}-{orbit:06d}-{datatake:06x}"
    files = {f"measurement/{stem.format(p)}-00{i}.tiff": payload(f"grd{start}{p}", 30_000)
             for i, p in enumerate(("vv", "vh"), start=1)}
    files.update({f"annotation/{stem.format(p)}-00{i}.xml": f"<product><adsHeader><polarisation>{p.upper()}"
                  f"</polarisation></adsHeader></product>\n".encode() for i, p in enumerate(("vv", "vh"), start=1)})
    files["preview/quick-look.png"] = png(seed=f"{start}")
    general = _metadata("generalProductInformation", f"""        <s1sarl1:standAloneProductInformation>
          <s1sarl1:instrumentConfigurationID>7</s1sarl1:instrumentConfigurationID>
          <s1sarl1:missionDataTakeID>{datatake}</s1sarl1:missionDataTakeID>
          <s1sarl1:transmitterReceiverPolarisation>VV</s1sarl1:transmitterReceiverPolarisation>
          <s1sarl1:transmitterReceiverPolarisation>VH</s1sarl1:transmitterReceiverPolarisation>
          <s1sarl1:productClass>S</s1sarl1:productClass>
          <s1sarl1:productComposition>Slice</s1sarl1:productComposition>
          <s1sarl1:productType>GRD</s1sarl1:productType>
          <s1sarl1:productTimelinessCategory>NRT-3h</s1sarl1:productTimelinessCategory>
          <s1sarl1:sliceProductFlag>true</s1sarl1:sliceProductFlag>
          <s1sarl1:segmentStartTime>{iso(segment_start, zone=False)}</s1sarl1:segmentStartTime>
          <s1sarl1:sliceNumber>{slice_number}</s1sarl1:sliceNumber>
          <s1sarl1:totalSlices>{total}</s1sarl1:totalSlices>
        </s1sarl1:standAloneProductInformation>""")
    # L1 manifests list the corners clockwise and unclosed (naming-and-metadata.md §9.1)
    clockwise = [corners[1], corners[0], corners[3], corners[2]]
    manifest = _xfdu("esa/safe/sentinel-1.0/sentinel-1/sar/level-1/grd/standard/iwdp", [
        _processing("GRD Post Processing", stop + timedelta(minutes=50), "RS demo processing centre",
                    "Sentinel-1 IPF", "003.90"),
        _platform("IW", "IW", level1=True), _orbit(orbit, start, anx=anx), general,
        _period(start, stop, anx, zone=False), _frame(clockwise, close=False),
    ], files)
    return _product_name("IW_GRDH_1SDV", start, stop, orbit, datatake, manifest), {"manifest.safe": manifest, **files}


def _aux_safe(aux: str, validity: datetime, generation: datetime) -> tuple[str, dict]:
    name = f"S1A_AUX_{aux}_V{validity:{FMT}}_G{generation:{FMT}}.SAFE"
    data = f"<?xml version='1.0'?>\n<auxiliaryParameters type='{aux}'/>\n".encode()
    files = {f"data/s1a-aux-{aux.lower()}.xml": data}
    general = _metadata("standAloneProductInformation", f"""        <s1auxsar:standAloneProductInformation>
          <s1auxsar:auxProductType>AUX_{aux}</s1auxsar:auxProductType>
          <s1auxsar:validity>{iso(validity, zone=False)}</s1auxsar:validity>
          <s1auxsar:generation>{iso(generation, zone=False)}</s1auxsar:generation>
          <s1auxsar:instrumentConfigurationId>7</s1auxsar:instrumentConfigurationId>
        </s1auxsar:standAloneProductInformation>""")
    manifest = _xfdu(f"esa/safe/sentinel-1.0/sentinel-1/auxiliary/sar/{aux.lower()}", [
        _processing(f"AUX_{aux} Generation", generation, "CLS-Brest", "AUX generator", "1.0"), _platform(), general,
    ], files)
    return name, {"manifest.safe": manifest, **files}


def earth_explorer_file(*, mission: str, file_type: str, name: str, start: datetime, stop: datetime,
                        creation: datetime, system: str, osv_orbit: int | None = None) -> bytes:
    """An Earth Explorer file (header of ../samples/s1/S1A_OPER_MPL_ORBPRE_…EOF) with a few state vectors."""
    vectors = ""
    if osv_orbit is not None:
        vectors = "\n".join(
            f"      <OSV><UTC>UTC={iso(start + timedelta(seconds=10 * i))}</UTC>"
            f"<Absolute_Orbit>+{osv_orbit}</Absolute_Orbit><X unit=\"m\">+{5950862 - i * 8000}.852</X>"
            f"<Y unit=\"m\">-3830248.479</Y><Z unit=\"m\">+{i * 74000}.000</Z></OSV>" for i in range(6))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Earth_Explorer_File xmlns="http://eop-cfi.esa.int/CFI" schemaVersion="2.1">
  <Earth_Explorer_Header>
    <Fixed_Header>
      <File_Name>{name.removesuffix('.EOF')}</File_Name>
      <File_Description>{file_type} demo file</File_Description>
      <Notes></Notes>
      <Mission>{mission}</Mission>
      <File_Class>OPER</File_Class>
      <File_Type>{file_type}</File_Type>
      <Validity_Period>
        <Validity_Start>UTC={start:%Y-%m-%dT%H:%M:%S}</Validity_Start>
        <Validity_Stop>UTC={stop:%Y-%m-%dT%H:%M:%S}</Validity_Stop>
      </Validity_Period>
      <File_Version>0001</File_Version>
      <Source>
        <System>{system}</System>
        <Creator>RS demo</Creator>
        <Creator_Version>1.0</Creator_Version>
        <Creation_Date>UTC={creation:%Y-%m-%dT%H:%M:%S}</Creation_Date>
      </Source>
    </Fixed_Header>
    <Variable_Header><Ref_Frame>EARTH_FIXED</Ref_Frame><Time_Reference>UTC</Time_Reference></Variable_Header>
  </Earth_Explorer_Header>
  <Data_Block type="xml">
    <List_of_OSVs count="{6 if osv_orbit is not None else 0}">
{vectors}
    </List_of_OSVs>
  </Data_Block>
</Earth_Explorer_File>
""".encode()


def generate(root: Path, t0: datetime) -> list[Written]:
    written: list[Written] = []
    orbit, datatake = 61234, 0x07A1B0
    anx = t0 - timedelta(minutes=12)
    # One IW datatake of 3 slices over central Europe (ascending, heading about -12°) and its A/C/N products.
    lon, lat, heading = 12.2, 44.1, -12.0
    datatake_start = t0
    slices = []
    for number in range(1, 4):
        start = datatake_start + timedelta(seconds=25 * (number - 1))
        stop = start + timedelta(seconds=27)
        centre = along_track(lon, lat, km=170 * (number - 1), heading=heading)
        corners = swath(*centre, along_km=185, across_km=250, heading=heading)
        slices.append((number, start, stop, corners))
        name, files = _level0("IW_RAW__0SDV", "S", start, stop, orbit=orbit, datatake=datatake, anx=anx,
                              corners=corners, slice_number=number, consolidation="SLICE")
        written.append(write_folder(root, name, files, available=stop + timedelta(minutes=40),
                                    archive=".zip" if number == 2 else ""))
    datatake_stop = slices[-1][2]
    whole = swath(*along_track(lon, lat, km=170, heading=heading), along_km=520, across_km=250, heading=heading)
    for klass in ("A", "C", "N"):
        name, files = _level0(f"IW_RAW__0{klass}DV", klass, datatake_start, datatake_stop, orbit=orbit,
                              datatake=datatake, anx=anx, corners=whole, slice_number=None, consolidation="FULL")
        written.append(write_folder(root, name, files, available=datatake_stop + timedelta(minutes=41)))
    for number, start, stop, corners in slices[:2]:
        name, files = _grd(start + timedelta(seconds=1), stop - timedelta(seconds=1), orbit=orbit, datatake=datatake,
                           anx=anx, corners=corners, slice_number=number, total=3, segment_start=datatake_start)
        written.append(write_folder(root, name, files, available=stop + timedelta(minutes=65),
                                    archive=".zip" if number == 1 else ""))
    # Auxiliary files the L0/L1 chains select (LatestValCover / ValIntersect): valid before the datatake.
    for aux, days in (("CAL", 30), ("INS", 30), ("PP1", 30), ("PP2", 30), ("WND", 0)):
        name, files = _aux_safe(aux, t0 - timedelta(days=days), t0 - timedelta(days=days + 4, hours=-2))
        written.append(write_folder(root, name, files, available=t0 - timedelta(days=days + 3)))
    creation = t0 + timedelta(hours=3, minutes=7)
    resorb = (f"S1A_OPER_AUX_RESORB_OPOD_{creation:{FMT}}_V{t0 - timedelta(hours=2):{FMT}}_"
              f"{t0 + timedelta(hours=1, minutes=30):{FMT}}.EOF")
    written.append(write_file(root, resorb, earth_explorer_file(
        mission="Sentinel-1A", file_type="AUX_RESORB", name=resorb, start=t0 - timedelta(hours=2),
        stop=t0 + timedelta(hours=1, minutes=30), creation=creation, system="OPOD", osv_orbit=orbit),
        available=creation + timedelta(minutes=5)))
    plan_start = t0 - timedelta(days=5)  # AIOP selects it LatestValCover(345600, 0): 4 days before the session
    orbpre = f"S1A_OPER_MPL_ORBPRE_{plan_start:{FMT}}_{plan_start + timedelta(days=7):{FMT}}_0001.EOF"
    written.append(write_file(root, orbpre, earth_explorer_file(
        mission="SENTINEL 1A", file_type="MPL_ORBPRE", name=orbpre, start=plan_start,
        stop=plan_start + timedelta(days=7), creation=plan_start - timedelta(minutes=1), system="FOS",
        osv_orbit=orbit - 29), available=plan_start))
    return written
