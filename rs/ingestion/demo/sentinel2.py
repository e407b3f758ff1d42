"""Sentinel-2 demo products in the layout of the real ones (../samples/s2): an L0 datastrip (manifest.safe) and its
granules (MTD + Inventory_Metadata.xml) for three detectors, and the GIP/aux files the L1 and L2A chains read
(GIP_ATMIMA, GIP_ATMSAD, GIP_DATATI, GIP_PROBA2, AUX_UT1UTC) as .TGZ archives."""

from __future__ import annotations

import io
import tarfile
from datetime import datetime, timedelta
from pathlib import Path

from rs.ingestion.demo.geometry import along_track, swath
from rs.ingestion.demo.writing import FMT, Written, iso, payload, write_file, write_folder

SATELLITE = "S2B"
BASELINE = "05.11"


def _inventory(*, name: str, file_type: str, parent: str, group: str, generation: datetime, start: datetime,
               orbit: int, corners: list[tuple[float, float]], detector: str, stop: datetime | None = None) -> bytes:
    points = "\n".join(f"      <Geo_Pnt><LATITUDE>{lat}</LATITUDE><LONGITUDE>{lon}</LONGITUDE></Geo_Pnt>"
                       for lat, lon in corners + corners[:1])
    return f"""<?xml version="1.0" encoding="ISO-8859-1" standalone="no"?>
<Inventory_Metadata xmlns="https://psd-12.sentinel2.eo.esa.int/PSD/Inventory_Metadata.xsd">
  <File_ID>{name}</File_ID>
  <Parent_ID>{parent}</Parent_ID>
  <Group_ID>{group}</Group_ID>
  <File_Name>{name}</File_Name>
  <File_Version>{BASELINE}</File_Version>
  <System>S2PDGS-DPC</System>
  <Source>L0_Processor</Source>
  <Source_Sw_Version>5.1.1</Source_Sw_Version>
  <Generation_Time>UTC={iso(generation, zone=False)}</Generation_Time>
  <Validity_Start>UTC={iso(start, zone=False)}</Validity_Start>
  <Validity_Stop>UTC={iso(stop or start, zone=False)}</Validity_Stop>
  <Start_Orbit_Number>{orbit:06d}</Start_Orbit_Number>
  <Stop_Orbit_Number>{orbit:06d}</Stop_Orbit_Number>
  <Geographic_Localization>
    <GEO_TYPE>Polygon</GEO_TYPE>
    <List_Of_Geo_Pnt count="5">
{points}
    </List_Of_Geo_Pnt>
  </Geographic_Localization>
  <Quality_Info>100.0</Quality_Info>
  <Data_Size>36000</Data_Size>
  <File_Type>{file_type}</File_Type>
{f"  <Detector>{detector}</Detector>{chr(10)}" if detector else ""}  <File_Class>NOM</File_Class>
  <Sensor_Code>MSI</Sensor_Code>
  <Sensor_Mode>NOM</Sensor_Mode>
  <Acquisition_Station>SGS_</Acquisition_Station>
  <Processing_Station>SGS_</Processing_Station>
  <Satellite_Code>{SATELLITE}</Satellite_Code>
  <Ascending_Flag>false</Ascending_Flag>
  <CloudPercentage>12</CloudPercentage>
</Inventory_Metadata>
""".encode("iso-8859-1")


def _granule_mtd(*, name: str, datastrip: str, detector: str, start: datetime, corners: list[tuple[float, float]],
                 cloud: float) -> bytes:
    positions = " ".join(f"{lat} {lon} {110.0 + i:.1f}" for i, (lat, lon) in enumerate(corners + corners[:1]))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-0_Granule_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-0_Granule_Metadata.xsd">
  <n1:General_Info>
    <GRANULE_ID metadataLevel="Brief">{name}</GRANULE_ID>
    <DETECTOR_ID metadataLevel="Brief">{detector}</DETECTOR_ID>
    <DATASTRIP_ID metadataLevel="Brief">{datastrip}</DATASTRIP_ID>
    <DOWNLINK_PRIORITY metadataLevel="Standard">NOMINAL</DOWNLINK_PRIORITY>
    <SENSING_TIME metadataLevel="Standard">{iso(start, digits=3)}</SENSING_TIME>
  </n1:General_Info>
  <n1:Geometric_Info>
    <Granule_Footprint metadataLevel="Brief"><Granule_Footprint><Footprint>
      <EXT_POS_LIST>{positions}</EXT_POS_LIST>
    </Footprint></Granule_Footprint></Granule_Footprint>
    <Granule_Position metadataLevel="Standard"><POSITION>2305</POSITION><Geometric_Header>
      <Solar_Angles><ZENITH_ANGLE unit="deg">48.2</ZENITH_ANGLE><AZIMUTH_ANGLE unit="deg">161.3</AZIMUTH_ANGLE>
      </Solar_Angles></Geometric_Header></Granule_Position>
  </n1:Geometric_Info>
  <n1:Quality_Indicators_Info><Image_Content_QI metadataLevel="Standard"><Common_IMG_QI>
    <CLOUDY_PIXEL_PERCENTAGE>{cloud}</CLOUDY_PIXEL_PERCENTAGE>
    <DEGRADED_MSI_DATA_PERCENTAGE>0</DEGRADED_MSI_DATA_PERCENTAGE>
  </Common_IMG_QI></Image_Content_QI></n1:Quality_Indicators_Info>
</n1:Level-0_Granule_ID>
""".encode()


def _datastrip_manifest(*, start: datetime, generation: datetime, group: str, relative_orbit: int) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:gml="http://www.opengis.net/gml"
    xmlns:safe="http://www.esa.int/safe/sentinel-1.0"
    version="esa/safe/sentinel-1.0/sentinel-2/msi/archive_l0_datastrip">
  <informationPackageMap>
    <xfdu:contentUnit dmdID="acquisitionPeriod platform" pdiID="processing"
        textInfo="SENTINEL-2 MSI Level-0_Datastrip PDI" unitType="Product_Level-0"/>
  </informationPackageMap>
  <metadataSection>
    <metadataObject ID="platform" category="DMD" classification="DESCRIPTION">
      <metadataWrap mimeType="text/xml" textInfo="Platform Description" vocabularyName="SAFE"><xmlData>
        <safe:platform>
          <safe:nssdcIdentifier>2017-013A</safe:nssdcIdentifier>
          <safe:familyName>SENTINEL-2</safe:familyName>
          <safe:number>{SATELLITE[2:]}</safe:number>
          <safe:instrument>
            <safe:familyName abbreviation="MSI">Multi-Spectral Instrument</safe:familyName>
            <safe:mode identifier="INS-NOBS">Nominal_Observation</safe:mode>
          </safe:instrument>
        </safe:platform>
      </xmlData></metadataWrap>
    </metadataObject>
    <metadataObject ID="processing" category="PDI" classification="PROVENANCE">
      <metadataWrap mimeType="text/xml" textInfo="Processing" vocabularyName="SAFE"><xmlData>
        <safe:processing name="L0 Processing of Raw Data" start="{iso(generation)}">
          <safe:facility country="Italy" name="RS demo" organisation="ESA" site="SGS_"/>
        </safe:processing>
      </xmlData></metadataWrap>
    </metadataObject>
    <metadataObject ID="acquisitionPeriod" category="DMD" classification="DESCRIPTION">
      <metadataWrap mimeType="text/xml" textInfo="Acquisition Period" vocabularyName="SAFE"><xmlData>
        <safe:acquisitionPeriod startTime="{iso(start)}"/>
      </xmlData></metadataWrap>
    </metadataObject>
    <metadataObject ID="measurementOrbitReference" category="DMD" classification="DESCRIPTION">
      <metadataWrap mimeType="text/xml" textInfo="Orbit Reference" vocabularyName="SAFE"><xmlData>
        <safe:orbitReference>
          <safe:orbitNumber type="start" groundTrackDirection="descending">{group}</safe:orbitNumber>
          <safe:relativeOrbitNumber type="start">{relative_orbit}</safe:relativeOrbitNumber>
        </safe:orbitReference>
      </xmlData></metadataWrap>
    </metadataObject>
  </metadataSection>
</xfdu:XFDU>
""".encode()


def _tgz(name: str, files: dict[str, bytes], moment: datetime) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for relative, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{name}/{relative}")
            info.size, info.mtime, info.mode = len(data), int(moment.timestamp()), 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def generate(root: Path, t0: datetime) -> list[Written]:
    written: list[Written] = []
    start = t0 + timedelta(hours=1, minutes=15)
    generation = start + timedelta(minutes=48)
    orbit = 40210
    group = f"G{SATELLITE}_{start - timedelta(seconds=6):{FMT}}_{orbit:06d}_N{BASELINE}"
    datastrip = f"{SATELLITE}_OPER_MSI_L0__DS_SGS__{generation:{FMT}}_S{start:{FMT}}_N{BASELINE}"
    ds_mtd = f"{SATELLITE}_OPER_MTD_L0__DS_SGS__{generation:{FMT}}_S{start:{FMT}}.xml"
    ds_files = {
        "manifest.safe": _datastrip_manifest(start=start, generation=generation, group=group, relative_orbit=108),
        f"DataStrip/{ds_mtd}": b"<Level-0_DataStrip_ID/>\n",
        # the datastrip's sensing period and footprint: the three granules below (3.6 s each)
        "Inventory_Metadata.xml": _inventory(
            name=datastrip, file_type="MSI_L0__DS", parent=group, group=group, generation=generation, start=start,
            stop=start + timedelta(seconds=10.8), orbit=orbit, detector="",
            corners=swath(*along_track(9.6, 46.2, km=0, heading=282.0), along_km=23, across_km=70, heading=192.0)),
        "ANC_DATA/SAD_RAW.bin": payload(f"ds{start}", 8_000),
    }
    written.append(write_folder(root, datastrip, ds_files, available=generation + timedelta(minutes=3)))
    # Granules of three adjacent detectors along a descending track over the Alps (heading about 192°).
    for index, detector in enumerate(("01", "02", "03")):
        centre = along_track(9.6, 46.2, km=22 * index - 22, heading=282.0)
        corners = swath(*centre, along_km=23, across_km=26, heading=192.0)
        sensing = start + timedelta(seconds=3.6 * index)
        name = f"{SATELLITE}_OPER_MSI_L0__GR_SGS__{generation:{FMT}}_S{sensing:{FMT}}_D{detector}_N{BASELINE}"
        mtd = f"{SATELLITE}_OPER_MTD_L0__GR_SGS__{generation:{FMT}}_S{sensing:{FMT}}_D{detector}.xml"
        files = {
            mtd: _granule_mtd(name=name, datastrip=datastrip, detector=detector, start=sensing, corners=corners,
                              cloud=12.5 + 3 * index),
            "Inventory_Metadata.xml": _inventory(name=name, file_type="MSI_L0__GR", parent=datastrip, group=group,
                                                 generation=generation, start=sensing, orbit=orbit, corners=corners,
                                                 detector=detector),
            "IMG_DATA/B02.bin": payload(f"gr{sensing}{detector}", 12_000),
        }
        written.append(write_folder(root, name, files, available=generation + timedelta(minutes=4)))
    for file_type, validity in (("GIP_ATMIMA", "V20170101T000000_21000101T000000_B00"),
                                ("GIP_ATMSAD", "V20170101T000000_21000101T000000_B00"),
                                ("GIP_DATATI", "V20170101T000000_21000101T000000_B00"),
                                ("GIP_PROBA2", "V20170101T000000_21000101T000000_B00")):
        created = t0 - timedelta(days=200)
        name = f"{SATELLITE}_OPER_{file_type}_MPC__{created:{FMT}}_{validity}"
        data = _tgz(name, {f"{name}.HDR": f"<Earth_Explorer_Header><File_Type>{file_type}</File_Type>"
                                          "</Earth_Explorer_Header>\n".encode(),
                           f"{name}.DBL": payload(name, 3_000)}, created)
        written.append(write_file(root, f"{name}.TGZ", data, available=created, name=name))
    created = t0 - timedelta(hours=20)
    ut1 = (f"S2__OPER_AUX_UT1UTC_PDMC_{created:{FMT}}_V{created - timedelta(days=1):{FMT}}_"
           f"{created + timedelta(days=365):{FMT}}")
    data = _tgz(ut1, {f"{ut1}.HDR": b"<Earth_Explorer_Header/>\n", f"{ut1}.DBL": payload(ut1, 2_000)}, created)
    written.append(write_file(root, f"{ut1}.TGZ", data, available=created, name=ut1))
    return written
