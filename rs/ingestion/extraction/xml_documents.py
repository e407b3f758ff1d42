"""Safe XML parsing of untrusted metadata files and look-ups by local name (namespaces ignored, as the XSLTs do)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from rs.ingestion.extraction.errors import ExtractionError
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.values import clean

_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


def parse_xml(data: bytes, *, source: str) -> ET.Element:
    """Parse untrusted bytes; documents declaring a DTD or entities are refused (no expansion, no fetching)."""
    probe = data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        probe = data.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    upper = probe.upper()
    for marker in _FORBIDDEN:
        if marker in upper:
            raise ExtractionError(f"{source}: declares a DTD or entities ({marker.decode()}), refused for safety")
    try:
        return ET.fromstring(data)  # noqa: S314 - see above
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise ExtractionError(f"{source}: not well-formed XML ({exc})") from None


def local_name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _path(xpath: str) -> str:
    """'//a/b[@type='start']' → './/{*}a/{*}b[@type='start']' (any namespace or none)."""
    body = xpath[2:] if xpath.startswith("//") else xpath
    prefix = ".//" if xpath.startswith("//") else "./"
    steps = re.split(r"(//|/)", body)
    converted = []
    for step in steps:
        if step in ("/", "//", "", ".", "*"):
            converted.append(step)
            continue
        head, bracket, rest = step.partition("[")
        converted.append(("{*}" + head if head not in ("*", ".") else head) + bracket + rest)
    return prefix + "".join(converted)


class XmlDocument:
    """A parsed metadata file, searched by local names: '//acquisitionPeriod/startTime', '//orbitNumber[@type=…]'."""

    def __init__(self, root: ET.Element, *, source: str) -> None:
        self.root = root
        self.source = source

    @classmethod
    def read(cls, reader: ProductReader, relative: str) -> XmlDocument:
        source = f"{relative or reader.label} of {reader.label}" if relative else reader.label
        return cls(parse_xml(reader.read(relative), source=source), source=source)

    @property
    def root_name(self) -> str:
        return local_name(self.root)

    def all(self, xpath: str) -> list[ET.Element]:
        try:
            return self.root.findall(_path(xpath))
        except SyntaxError as exc:  # a bad path is a bug of ours, reported with the path
            raise ValueError(f"bad path {xpath!r}: {exc}") from None

    def first(self, xpath: str) -> ET.Element | None:
        found = self.all(xpath)
        return found[0] if found else None

    def text(self, xpath: str) -> str | None:
        """Stripped text of the first match; None when missing, empty or a placeholder ('dummy-text')."""
        element = self.first(xpath)
        return clean(element.text) if element is not None else None

    def texts(self, xpath: str) -> list[str]:
        return [value for e in self.all(xpath) if (value := clean(e.text)) is not None]

    def attr(self, xpath: str, name: str) -> str | None:
        element = self.first(xpath)
        return clean(element.get(name)) if element is not None else None


def child(element: ET.Element | None, name: str) -> ET.Element | None:
    """The first direct child with this local name."""
    if element is None:
        return None
    return next((c for c in element if local_name(c) == name), None)
