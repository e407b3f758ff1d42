"""XmlDocument answers '//name…' paths from its index of elements by local name: the same elements, in the same
order, as ElementPath walking the whole tree, on every real metadata sample and every path the extractors use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rs.ingestion.extraction import xml_documents
from rs.ingestion.extraction.xml_documents import XmlDocument, parse_xml
from rs.ingestion.tests.fixtures.samples import SAMPLES, sample

EXTRACTION = Path(xml_documents.__file__).parent
# Every literal path of the extractors, plus the forms their formatted paths take.
PATHS = sorted(
    {p for f in EXTRACTION.glob("*.py") if f.name != "xml_documents.py"
     for p in re.findall(r'"(//[^"{]+)"', f.read_text())}
    | {"//qualityProperties//numOfElements", "//sralProductInformation//sralProcessingMode",
       "//classificationSummary[@grid='1 km']//coverage", "//orbitNumber[@type='start']", "//*", "//footPrint/*"}
)
METADATA = ["s1", "s2", "s3"]


def _documents() -> list[Path]:
    files = [f for mission in METADATA for f in sorted((SAMPLES / mission).rglob("*"))
             if f.is_file() and f.suffix.lower() in {".safe", ".xml", ".eof"}]
    return files or [sample("s1")]  # skips without the samples


def test_the_extractors_paths_were_collected() -> None:
    assert len(PATHS) > 60
    assert "//acquisitionPeriod/startTime" in PATHS and "//orbitReference//pass" in PATHS


@pytest.mark.parametrize("document", _documents(), ids=lambda p: f"{p.parent.name[:40]}/{p.name[:40]}")
def test_every_path_finds_what_elementpath_finds(document: Path) -> None:
    root = parse_xml(document.read_bytes(), source=document.name)
    doc = XmlDocument(root, source=document.name)
    found_any = 0
    for path in PATHS:
        expected = root.findall(xml_documents._path(path))
        assert [id(e) for e in doc.all(path)] == [id(e) for e in expected], path
        found_any += bool(expected)
    assert found_any


def test_nested_names_keep_elementpath_order_and_the_root_is_not_its_own_descendant() -> None:
    root = parse_xml(
        b'<a xmlns:x="urn:x"><x:a n="1"><b n="2"/><a n="3"><b n="4"/></a><b n="5"/></x:a><!-- c --><b n="6"/></a>',
        source="nested")
    doc = XmlDocument(root, source="nested")
    for path in ("//a", "//a/b", "//a//b", "//b", "//a[@n='3']/b", "//a[@n]", "//c", "//*", "//b[1]", "//a/b[1]",
                 "//b[last()]", "//b/..", "//a[b]", "//a[b='x']"):
        assert [e.get("n") for e in doc.all(path)] == [e.get("n") for e in root.findall(xml_documents._path(path))]
    assert [e.get("n") for e in doc.all("//a/b")] == ["2", "5", "4"]  # by parent, as ElementPath
    assert doc.text("//a/b") is None and doc.attr("//a/b", "n") == "2"


@pytest.mark.parametrize("path", ["//missing/b[@n]]", "//missing[0]", "//b[@n]]"])
def test_a_bad_path_fails_as_elementpath_fails_even_where_nothing_matches(path: str) -> None:
    root = parse_xml(b"<a><b/></a>", source="bad")
    with pytest.raises(Exception) as expected:  # ElementPath's own exception, whichever it is
        root.findall(xml_documents._path(path))
    with pytest.raises(Exception) as raised:
        XmlDocument(root, source="bad").all(path)
    assert type(raised.value) in (type(expected.value), ValueError)
