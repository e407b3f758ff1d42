"""The name patterns of naming-and-metadata.md §2, tried in ORDER; the first match wins.

Deviations from the document, all because the archive suffix (.zip, .tar, .TGZ …) is stripped before matching:
the `zip` groups never match, and the Earth Explorer patterns accept a name without extension (CDSE aux names such
as AUX_GNSSRD have none, and `X.EOF.zip` or `X_0001.TGZ` leave `X.EOF` / `X_0001`).
"""

from __future__ import annotations

import re

T = r"\d{8}T\d{6}"
TIME = re.compile(T)

S1_PRODUCT = re.compile(
    r"^(?P<mission>S1)(?P<satellite>[A-D])_"
    r"(?P<mode>S[1-6]|IW|EW|WV|RF|EN|AN|N[1-6]|Z[1-6]|ZE|ZI|ZW|ZS|GP|HK)_"
    r"(?P<type>RAW|SLC|GRD|OCN|ETA)(?P<resolution>[FHM_])_"
    r"(?P<level>[0-2A])(?P<klass>[SACNX_])(?P<polarisation>SH|SV|DH|DV|HH|HV|VV|VH|__)_"
    rf"(?P<start>{T})_(?P<stop>{T})_(?P<orbit>\d{{6}})_(?P<datatake>[0-9A-F]{{6}})_(?P<crc>[0-9A-F]{{4}})"
    r"(?P<ext>\.SAFE|\.ISIP)?(?P<zip>\.zip)?$")

S1_AUX_SAFE = re.compile(
    r"^(?P<mission>S1)(?P<satellite>[A-D_])_AUX_(?P<aux>[A-Z0-9]{3})_"
    rf"V(?P<validity_start>{T})(?:_(?P<validity_stop>{T}))?_G(?P<generation>{T})"
    r"(?P<ext>\.SAFE)?(?P<zip>\.zip)?$")

S3_PRODUCT = re.compile(
    r"^(?P<mission>S3)(?P<satellite>[A-D_])_(?P<source>OL|SL|SR|DO|MW|GN|SY|TM|AX)_(?P<level>[0-2_])_"
    r"(?P<datatype>[A-Z0-9_]{6})_"
    rf"(?P<start>{T})_(?P<stop>{T})_(?P<creation>{T})_"
    r"(?P<instance>[A-Z0-9_]{17})_(?P<centre>[A-Z0-9_]{3})_(?P<platform>[OFDR_])_"
    r"(?P<timeliness>NR|ST|NT|AL|SN|NS|NN|__)_(?P<baseline>[A-Z0-9_]{3})"
    r"(?P<ext>\.SEN3|\.ISIP)?(?P<zip>\.zip)?$")

S3_INSTANCE = re.compile(
    r"^(?:(?P<duration>\d{4})_(?P<cycle>\d{3})_(?P<relorbit>\d{3})_(?P<frame>\d{4}|____)|GLOBAL_{11}|_{17}"
    r"|(?P<tile>[A-Z0-9_]{17}))$")

S2_HKTM = re.compile(
    r"^(?P<mission>S2)(?P<satellite>[A-D_])_(?P<file_class>[A-Z0-9]{4})_PRD_HKTM___"
    rf"(?P<start>{T})_(?P<stop>{T})_(?P<counter>\d{{4}})(?P<ext>\.SAFE)?(?P<zip>\.zip)?$")

S2_USER = re.compile(
    r"^(?P<mission>S2)(?P<satellite>[A-D])_MSI(?P<level>L1C|L2A|L1B|L1A|L0_)_"
    rf"(?P<start>{T})_N(?P<baseline>\d{{4}})_R(?P<relative_orbit>\d{{3}})_T(?P<tile>\d{{2}}[A-Z]{{3}})"
    rf"_(?P<discriminator>{T})"
    r"(?P<ext>\.SAFE)?(?P<zip>\.zip)?$")

S2_PDI = re.compile(
    r"^(?P<mission>S2)(?P<satellite>[A-D_])_(?P<file_class>[A-Z0-9]{4})_"
    r"(?P<file_type>[A-Z0-9_]{10})_(?P<site>[A-Z0-9_]{4})_"
    rf"(?P<creation>{T})"
    r"(?P<suffixes>(?:_(?:S\d{8}T\d{6}|O\d{6}_\d{6}|V\d{8}T\d{6}(?:_\d{8}T\d{6})?|D\d{2}|A\d{6}|R\d{3}"
    r"|T[0-9A-Z]{5}|N\d{2}\.\d{2}|B[0-9A-Z]{2}|W[FP]|L[ND]))*)"
    r"(?:\.(?P<ext>SAFE|zip|tar|TGZ|xml|jp2|bin|HDR|DBL|EOF|json))?$")

S2_SUFFIX = re.compile(
    r"_(?:S(?P<S>\d{8}T\d{6})|O(?P<O>\d{6}_\d{6})|V(?P<V>\d{8}T\d{6}(?:_\d{8}T\d{6})?)|D(?P<D>\d{2})|A(?P<A>\d{6})"
    r"|R(?P<R>\d{3})|T(?P<T>[0-9A-Z]{5})|N(?P<N>\d{2}\.\d{2})|B(?P<B>[0-9A-Z]{2})|W(?P<W>[FP])|L(?P<L>[ND]))")

_EO_HEAD = (r"^(?P<mission>S[1-3])(?P<satellite>[A-D_])_(?P<file_class>[A-Z0-9]{4})_"
            r"(?P<file_type>[A-Z0-9_]{10})_")
_EO_EXT = r"(?:\.(?P<ext>EOF|xml|XML))?$"

EO_VALIDITY = re.compile(
    _EO_HEAD + rf"(?P<site>[A-Z0-9_]{{4}})_(?P<creation>{T})_V(?P<validity_start>{T})_(?P<validity_stop>{T})"
    + _EO_EXT)

EO_PERIOD = re.compile(_EO_HEAD + rf"(?P<validity_start>{T})_(?P<validity_stop>{T})_(?P<version>\d{{4}})" + _EO_EXT)

EO_START = re.compile(_EO_HEAD + rf"(?P<site>[A-Z0-9_]{{4}})_(?P<validity_start>{T})" + _EO_EXT)

EO_MASK = re.compile(_EO_HEAD + rf"V(?P<validity_start>{T})_G(?P<generation>{T})" + _EO_EXT)

SESSION_PATH = re.compile(
    r"^(?:(?P<station>[0-9A-Za-z_]{4})/)?(?:(?P<satellite_dir>S[1-3][A-D])/)?(?:(?P<session_dir>[0-9A-Za-z_]+)/)?"
    r"(?:(?P<channel_dir>ch[0_]?[12])/)?"
    r"(?P<file>DCS_(?P<unit>\d{2})_(?P<session_id>[0-9A-Za-z_]+?)_ch(?P<channel>[12])_"
    r"(?P<kind>DSDB|DSIB)(?:_(?P<chunk>\d{5}))?\.(?P<ext>raw|aisp|xml))$")

# Station-form session ids: satellite, yyyymmddhhmmss, 6-digit absolute orbit (S1A_20200120185900030888).
STATION_SESSION_ID = re.compile(r"^(?P<satellite>S[1-3][A-D])_(?P<time>\d{14})(?P<orbit>\d{6})$")

# A CDSE SLC burst id (S1A-SLC-20240802T060723-15805-IW1-VH-040352): bursts are views of a product, not products.
CDSE_BURST = re.compile(rf"^S1[A-D]-SLC-{T}-\d+-(?:IW|EW)\d-(?:HH|HV|VV|VH)-\d+$")

ARCHIVE_SUFFIX = re.compile(r"\.(?:tar\.gz|zip|tar|tgz)$", re.IGNORECASE)

ORDER: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("S1_PRODUCT", S1_PRODUCT),
    ("S1_AUX_SAFE", S1_AUX_SAFE),
    ("S3_PRODUCT", S3_PRODUCT),
    ("S2_HKTM", S2_HKTM),
    ("S2_USER", S2_USER),
    ("S2_PDI", S2_PDI),
    ("EO_VALIDITY", EO_VALIDITY),
    ("EO_PERIOD", EO_PERIOD),
    ("EO_START", EO_START),
    ("EO_MASK", EO_MASK),
)
