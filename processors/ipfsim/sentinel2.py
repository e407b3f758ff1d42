"""Sentinel-2 L1C/L2A outputs in the PDGS layout: datastrip and tiles (PDI folders with Inventory_Metadata.xml and
their MTD) and the user product per tile (S2MSI1C / S2MSI2A with MTD_MSIL1C.xml / MTD_MSIL2A.xml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ipfsim.geometry import Point
from ipfsim.products import compact, iso, payload, png, write_files


@dataclass(frozen=True)
class Datastrip:
    satellite: str  # S2B
    start: datetime
    stop: datetime
    orbit: int
    relative_orbit: int
    group: str  # GS2B_<datatake start>_<orbit>_N<baseline>
    footprint: list[Point]
    cloud: float


def _points(ring: list[Point]) -> str:
    return "\n".join(f"      <Geo_Pnt><LATITUDE>{lat}</LATITUDE><LONGITUDE>{lon}</LONGITUDE></Geo_Pnt>"
                     for lat, lon in ring + ring[:1])


def _inventory(*, name: str, file_type: str, parent: str, strip: Datastrip, ring: list[Point], site: str,
               generation: datetime, baseline: str, version: str, extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<Inventory_Metadata xmlns="https://psd-12.sentinel2.eo.esa.int/PSD/Inventory_Metadata.xsd">
  <File_ID>{name}</File_ID>
  <Parent_ID>{parent}</Parent_ID>
  <Group_ID>{strip.group}</Group_ID>
  <File_Name>{name}</File_Name>
  <File_Version>{baseline}</File_Version>
  <System>Copernicus Reference System</System>
  <Source>{file_type[4:7]}_Processor</Source>
  <Source_Sw_Version>{version}</Source_Sw_Version>
  <Generation_Time>UTC={iso(generation, zone=False)}</Generation_Time>
  <Validity_Start>UTC={iso(strip.start, zone=False)}</Validity_Start>
  <Validity_Stop>UTC={iso(strip.stop, zone=False)}</Validity_Stop>
  <Start_Orbit_Number>{strip.orbit:06d}</Start_Orbit_Number>
  <Stop_Orbit_Number>{strip.orbit:06d}</Stop_Orbit_Number>
  <Geographic_Localization>
    <GEO_TYPE>Polygon</GEO_TYPE>
    <List_Of_Geo_Pnt count="{len(ring) + 1}">
{_points(ring)}
    </List_Of_Geo_Pnt>
  </Geographic_Localization>
  <Quality_Info>100.0</Quality_Info>
  <File_Type>{file_type}</File_Type>{extra}
  <File_Class>OPER</File_Class>
  <Sensor_Code>MSI</Sensor_Code>
  <Sensor_Mode>NOM</Sensor_Mode>
  <Processing_Station>{site}</Processing_Station>
  <Satellite_Code>{strip.satellite}</Satellite_Code>
  <Ascending_Flag>false</Ascending_Flag>
  <CloudPercentage>{strip.cloud:.0f}</CloudPercentage>
</Inventory_Metadata>
""".encode()


def datastrip_write(folder: Path, strip: Datastrip, *, level: str, site: str, generation: datetime, baseline: str,
                    version: str, parent: str) -> Path:
    """MSI_<level>_DS (level L1C or L2A)."""
    file_type = f"MSI_{level}_DS"
    name = f"{strip.satellite}_OPER_{file_type}_{site}_{compact(generation)}_S{compact(strip.start)}_N{baseline}"
    mtd = f"{strip.satellite}_OPER_MTD_{level}_DS_{site}_{compact(generation)}_S{compact(strip.start)}.xml"
    document = f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-{level[1:]}_DataStrip_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-{level[1:]}_Datastrip_Metadata.xsd">
  <n1:General_Info>
    <Datastrip_Time_Info>
      <DATASTRIP_SENSING_START>{iso(strip.start, digits=3)}</DATASTRIP_SENSING_START>
      <DATASTRIP_SENSING_STOP>{iso(strip.stop, digits=3)}</DATASTRIP_SENSING_STOP>
    </Datastrip_Time_Info>
    <Processing_Info><PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
      <GENERATION_TIME>{iso(generation, digits=3)}</GENERATION_TIME></Processing_Info>
  </n1:General_Info>
</n1:Level-{level[1:]}_DataStrip_ID>
""".encode()
    files = {"Inventory_Metadata.xml": _inventory(name=name, file_type=file_type, parent=parent, strip=strip,
                                                  ring=strip.footprint, site=site, generation=generation,
                                                  baseline=baseline, version=version),
             f"DataStrip/{mtd}": document, "QI_DATA/GENERAL_QUALITY.xml": b"<Earth_Explorer_File/>\n"}
    return write_files(folder / name, files)


def tile_write(folder: Path, strip: Datastrip, *, level: str, tile: str, ring: list[Point], site: str,
               generation: datetime, baseline: str, version: str, datastrip: str) -> Path:
    """MSI_<level>_TL of one MGRS tile, with its quick-look (PVI); sensed in the middle of the datastrip."""
    file_type = f"MSI_{level}_TL"
    suffix = f"A{strip.orbit:06d}_T{tile}"
    name = f"{strip.satellite}_OPER_{file_type}_{site}_{compact(generation)}_{suffix}_N{baseline}"
    mtd = f"{strip.satellite}_OPER_MTD_{level}_TL_{site}_{compact(generation)}_{suffix}.xml"
    document = f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-{level[1:]}_Tile_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-{level[1:]}_Tile_Metadata.xsd">
  <n1:General_Info>
    <TILE_ID metadataLevel="Brief">{name}</TILE_ID>
    <DATASTRIP_ID metadataLevel="Standard">{datastrip}</DATASTRIP_ID>
    <SENSING_TIME metadataLevel="Standard">{iso(strip.start + (strip.stop - strip.start) / 2, digits=3)}</SENSING_TIME>
  </n1:General_Info>
  <n1:Quality_Indicators_Info><Image_Content_QI>
    <CLOUDY_PIXEL_PERCENTAGE>{strip.cloud:.1f}</CLOUDY_PIXEL_PERCENTAGE>
    <DEGRADED_MSI_DATA_PERCENTAGE>0</DEGRADED_MSI_DATA_PERCENTAGE>
  </Image_Content_QI></n1:Quality_Indicators_Info>
</n1:Level-{level[1:]}_Tile_ID>
""".encode()
    files = {"Inventory_Metadata.xml": _inventory(name=name, file_type=file_type, parent=datastrip, strip=strip,
                                                  ring=ring, site=site, generation=generation, baseline=baseline,
                                                  version=version, extra=f"\n  <Tile_ID>{tile}</Tile_ID>"),
             mtd: document, f"IMG_DATA/{name[:-7]}_B02.bin": payload(f"{name}B02", 12_000),
             f"QI_DATA/{name[:-7]}_PVI.png": png(seed=name)}
    return write_files(folder / name, files)


def user_product_write(folder: Path, strip: Datastrip, *, level: str, tile: str, ring: list[Point],
                       generation: datetime, baseline: str, tile_name: str) -> Path:
    """S2B_MSIL1C_… / S2B_MSIL2A_…: the user product of one tile."""
    product_type = f"S2MSI{level[1:]}"
    baseline_code = baseline.replace(".", "")
    name = (f"{strip.satellite}_MSI{level}_{compact(strip.start)}_N{baseline_code}_R{strip.relative_orbit:03d}_"
            f"T{tile}_{compact(generation)}.SAFE")
    positions = " ".join(f"{lat} {lon}" for lat, lon in ring + ring[:1])
    document = f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-{level[1:]}_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-{level[1:]}.xsd">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{iso(strip.start, digits=3)}</PRODUCT_START_TIME>
      <PRODUCT_STOP_TIME>{iso(strip.stop, digits=3)}</PRODUCT_STOP_TIME>
      <PRODUCT_URI>{name}</PRODUCT_URI>
      <PROCESSING_LEVEL>Level-{level[1:]}</PROCESSING_LEVEL>
      <PRODUCT_TYPE>{product_type}</PRODUCT_TYPE>
      <PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
      <GENERATION_TIME>{iso(generation, digits=6)}</GENERATION_TIME>
      <Datatake datatakeIdentifier="{strip.group}">
        <SPACECRAFT_NAME>Sentinel-2{strip.satellite[2:]}</SPACECRAFT_NAME>
        <DATATAKE_TYPE>INS-NOBS</DATATAKE_TYPE>
        <DATATAKE_SENSING_START>{iso(strip.start, digits=3)}</DATATAKE_SENSING_START>
        <SENSING_ORBIT_NUMBER>{strip.relative_orbit}</SENSING_ORBIT_NUMBER>
        <SENSING_ORBIT_DIRECTION>DESCENDING</SENSING_ORBIT_DIRECTION>
      </Datatake>
    </Product_Info>
  </n1:General_Info>
  <n1:Geometric_Info><Product_Footprint><Product_Footprint><Global_Footprint>
    <EXT_POS_LIST>{positions}</EXT_POS_LIST>
  </Global_Footprint></Product_Footprint></Product_Footprint></n1:Geometric_Info>
  <n1:Quality_Indicators_Info><Cloud_Coverage_Assessment>{strip.cloud:.1f}</Cloud_Coverage_Assessment>
  </n1:Quality_Indicators_Info>
</n1:Level-{level[1:]}_User_Product>
""".encode()
    granule = f"GRANULE/{tile_name}"
    files = {f"MTD_MSI{level}.xml": document,
             f"{granule}/IMG_DATA/T{tile}_{compact(strip.start)}_B02.bin": payload(f"{name}B02", 12_000),
             f"{granule}/QI_DATA/T{tile}_{compact(strip.start)}_PVI.png": png(seed=name)}
    return write_files(folder / name, files)
