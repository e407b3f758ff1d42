"""Safe XML parsing of untrusted metadata files and look-ups by local name (namespaces ignored, as the XSLTs do)."""

from __future__ import annotations

import functools
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


_LEADING_NAME = re.compile(r"\.//\{\*\}([^/\[{}*]+)(.*)", re.DOTALL)
# Steps that look at an element's parent (positions, '..'): evaluated from the element itself they would not see it.
_PARENT_STEPS = re.compile(r"\.\.|\[\s*(?:[-\d]|last\s*\()")


@functools.cache
def _compiled(xpath: str) -> tuple[str, str | None] | str:
    """A path starting with '//name' as (name, the rest relative to each such element, None when there is no rest),
    which the document's index of elements by local name answers without walking the whole tree; any other path
    (or one looking at parents) as its ElementPath form."""
    path = _path(xpath)
    match = _LEADING_NAME.fullmatch(path) if xpath.startswith("//") else None
    if match is None or _PARENT_STEPS.search(match[2]):
        return path
    name, rest = match.groups()
    if not rest:
        return name, None
    ET.Element("probe").findall("." + rest)  # a bad path fails on its first use, whatever the document holds
    return name, "." + rest


class XmlDocument:
    """A parsed metadata file, searched by local names: '//acquisitionPeriod/startTime', '//orbitNumber[@type=…]'.

    A path starting with '//name' (every path of the extractors) begins at the elements of that local name, found
    in an index of the document built on the first search: one walk of the tree instead of one per search. The
    results are those of ElementPath's './/{*}name…', in the same order.
    """

    def __init__(self, root: ET.Element, *, source: str) -> None:
        self.root = root
        self.source = source
        self._by_name: dict[str, list[ET.Element]] | None = None

    def _named(self, name: str) -> list[ET.Element]:
        """The descendants of the root (not the root itself) with this local name, in document order."""
        if self._by_name is None:
            index: dict[str, list[ET.Element]] = {}
            elements = self.root.iter()
            next(elements)  # the root: './/' starts below it
            for element in elements:
                tag = element.tag
                if isinstance(tag, str):  # comments and processing instructions have no name
                    index.setdefault(tag.rpartition("}")[2], []).append(element)
            self._by_name = index
        return self._by_name.get(name, [])

    @classmethod
    def read(cls, reader: ProductReader, relative: str) -> XmlDocument:
        source = f"{relative or reader.label} of {reader.label}" if relative else reader.label
        return cls(parse_xml(reader.read(relative), source=source), source=source)

    @property
    def root_name(self) -> str:
        return local_name(self.root)

    def all(self, xpath: str) -> list[ET.Element]:
        try:
            compiled = _compiled(xpath)
            if isinstance(compiled, str):
                return self.root.findall(compiled)
            name, rest = compiled
            named = self._named(name)
            if rest is None:
                return list(named)
            return [found for element in named for found in element.findall(rest)]
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
