"""ProductReader over every packaging, and the refusal of unsafe or broken deliveries with a precise reason."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from rs.ingestion.extraction import ExtractionError, ProductReader, extract_metadata, quicklook_of, reader
from rs.ingestion.names import identify
from rs.ingestion.tests.fixtures.packaging import write_folder, write_tar, write_zip
from rs.ingestion.tests.fixtures.samples import sample

C6DB = "S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 24
FILES = {"manifest.safe": "<xfdu/>", "preview/quick-look.png": PNG, "measurement/vv.dat": b"\1" * 100,
         "annotation/a.xml": "<a/>"}


def refused(path: Path) -> str:
    with pytest.raises(ExtractionError) as error:
        ProductReader.open(path)
    return str(error.value)


@pytest.mark.parametrize("packaging", ["folder", "safe.zip", "zip without top folder", "tar", "tgz",
                                       "zip served under its bare name"])
def test_every_packaging_reads_members_relative_to_the_product_root(tmp_path: Path, packaging: str) -> None:
    path = {
        "folder": lambda: write_folder(tmp_path, C6DB, FILES),
        "safe.zip": lambda: write_zip(tmp_path / f"{C6DB}.zip", FILES, top=C6DB),
        "zip without top folder": lambda: write_zip(tmp_path / f"{C6DB}.zip", FILES),
        "tar": lambda: write_tar(tmp_path / f"{C6DB}.tar", FILES, top=C6DB),
        "tgz": lambda: write_tar(tmp_path / f"{C6DB}.tgz", FILES, top=C6DB, gzip=True),
        "zip served under its bare name": lambda: write_zip(tmp_path / C6DB, FILES, top=C6DB),
    }[packaging]()
    with ProductReader.open(path) as product:
        assert product.members == ("annotation/a.xml", "manifest.safe", "measurement/vv.dat",
                                   "preview/quick-look.png")
        assert product.read("manifest.safe") == b"<xfdu/>"
        assert product.exists("preview/quick-look.png")
        assert not product.exists("preview/other.png")
        assert product.find("*/*.xml") == ["annotation/a.xml"]
        assert product.find("**/*.png") == ["preview/quick-look.png"]
        assert product.find("*.dat") == []
        assert not product.is_single_file
        assert quicklook_of(identify(C6DB), product) == ("quick-look.png", PNG, "image/png")


def test_the_real_c6db_sample_extracts_the_same_from_a_safe_zip(tmp_path: Path) -> None:
    manifest = (sample(f"s1/{C6DB}") / "manifest.safe").read_bytes()
    archive = write_zip(tmp_path / f"{C6DB}.zip", {"manifest.safe": manifest}, top=C6DB)
    with ProductReader.open(archive) as zipped, ProductReader.open(sample(f"s1/{C6DB}")) as folder:
        assert extract_metadata(identify(archive.name), zipped) == extract_metadata(identify(C6DB), folder)


def test_a_single_file_is_read_with_an_empty_path_or_its_name(tmp_path: Path) -> None:
    eof = sample("s1/S1A_OPER_MPL_ORBPRE_20171208T200309_20171215T200309_0001.EOF")
    with ProductReader.open(eof) as product:
        assert product.is_single_file
        assert product.members == (eof.name,)
        assert product.read("") == product.read(eof.name) == eof.read_bytes()
    archive = write_zip(tmp_path / f"{eof.name}.zip", {eof.name: eof.read_bytes()})
    with ProductReader.open(archive) as zipped:
        assert zipped.is_single_file
        assert zipped.read("") == eof.read_bytes()
        metadata = extract_metadata(identify(archive.name), zipped)
    assert metadata.product_type == "MPL_ORBPRE"


def test_reading_a_folder_product_needs_a_member_name(tmp_path: Path) -> None:
    with ProductReader.open(write_folder(tmp_path, C6DB, FILES)) as product, pytest.raises(ExtractionError) as error:
        product.read("")
    assert str(error.value) == f"{C6DB}: holds several files: name the member to read"


@pytest.mark.parametrize(("relative", "reason"), [
    ("missing.xml", f"missing.xml is missing from {C6DB}.zip"),
    ("../manifest.safe", "escapes the archive (path traversal)"),
    ("measurement/vv.dat", f"measurement/vv.dat of {C6DB}.zip is 100 bytes, more than the 10 bytes allowed"),
])
def test_a_read_outside_the_product_or_too_big_is_refused(tmp_path: Path, relative: str, reason: str) -> None:
    with ProductReader.open(write_zip(tmp_path / f"{C6DB}.zip", FILES, top=C6DB)) as product, \
            pytest.raises(ExtractionError) as error:
        product.read(relative, max_bytes=10)
    assert reason in str(error.value)


def test_an_empty_member_is_refused_when_read(tmp_path: Path) -> None:
    with ProductReader.open(write_folder(tmp_path, C6DB, {**FILES, "manifest.safe": b""})) as product, \
            pytest.raises(ExtractionError) as error:
        product.read("manifest.safe")
    assert str(error.value) == f"manifest.safe of {C6DB} is empty (0 bytes)"


def test_missing_empty_and_unreadable_deliveries_are_refused(tmp_path: Path) -> None:
    assert refused(tmp_path / "absent.SAFE") == "absent.SAFE: not found"
    (tmp_path / "empty.EOF").write_bytes(b"")
    assert refused(tmp_path / "empty.EOF") == "empty.EOF: empty file (0 bytes)"
    (tmp_path / "empty.SAFE").mkdir()
    assert refused(tmp_path / "empty.SAFE") == "empty.SAFE: empty folder"
    (tmp_path / "junk.zip").write_bytes(b"this is not a zip archive")
    assert refused(tmp_path / "junk.zip").startswith("junk.zip: unreadable zip archive (")
    whole = write_zip(tmp_path / "whole.zip", FILES).read_bytes()
    (tmp_path / "cut.zip").write_bytes(whole[: len(whole) // 2])
    assert refused(tmp_path / "cut.zip").startswith("cut.zip: unreadable zip archive (")
    (tmp_path / "junk.tar").write_bytes(b"\1" * 1000)
    assert refused(tmp_path / "junk.tar").startswith("junk.tar: unreadable tar archive (")


def test_a_zip_bomb_is_refused_by_its_compression_ratio(tmp_path: Path) -> None:
    bomb = write_zip(tmp_path / "bomb.zip", {"manifest.safe": "<x/>", "zeros.dat": b"\0" * (8 * 2**20)})
    assert refused(bomb) == "bomb.zip: member 'zeros.dat' has a compression ratio above 200:1 (zip bomb?)"
    gzipped = write_tar(tmp_path / "bomb.tgz", {"zeros.dat": b"\0" * (8 * 2**20)}, gzip=True)
    assert refused(gzipped) == "bomb.tgz: compression ratio above 200:1 (zip bomb?)"


def test_caps_on_members_and_uncompressed_size_are_enforced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_MEMBERS", 3)
    assert refused(write_zip(tmp_path / "many.zip", FILES)) == "many.zip: more than 3 members"
    assert refused(write_tar(tmp_path / "many.tar", FILES)) == "many.tar: more than 3 members"
    assert refused(write_folder(tmp_path, "many.SAFE", FILES)) == "many.SAFE: more than 3 files"
    monkeypatch.setattr(reader, "MAX_MEMBERS", 100)
    monkeypatch.setattr(reader, "MAX_TOTAL_UNCOMPRESSED", 50)
    assert refused(write_zip(tmp_path / "big.zip", FILES)) == (
        "big.zip: 143 bytes uncompressed, more than the 50 allowed")


@pytest.mark.parametrize(("member", "reason"), [
    ("../evil.xml", "member '../evil.xml' escapes the archive (path traversal)"),
    ("X.SAFE/../../evil.xml", "escapes the archive (path traversal)"),
    ("/etc/passwd", "member '/etc/passwd' has an absolute path"),
    ("C:/evil.xml", "has an absolute path"),
    ("X.SAFE\\evil.xml", "contains a NUL or a backslash"),
])
def test_member_names_escaping_the_root_are_refused(tmp_path: Path, member: str, reason: str) -> None:
    assert reason in refused(write_zip(tmp_path / "x.zip", {"X.SAFE/manifest.safe": "<x/>", member: "x"}))
    assert reason in refused(write_tar(tmp_path / "x.tar", {"X.SAFE/manifest.safe": "<x/>", member: "x"}))


def test_links_inside_archives_are_refused(tmp_path: Path) -> None:
    with tarfile.open(tmp_path / "link.tar", "w") as archive:
        info = tarfile.TarInfo("X.SAFE/manifest.safe")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(info)
    assert refused(tmp_path / "link.tar") == "link.tar: member 'X.SAFE/manifest.safe' is a link or a special file"
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as archive:
        info = zipfile.ZipInfo("X.SAFE/manifest.safe")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    assert refused(tmp_path / "link.zip") == "link.zip: member 'X.SAFE/manifest.safe' is a symbolic link"


def test_a_folder_link_escaping_the_product_is_refused_and_an_inner_one_is_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    escaping = write_folder(tmp_path, "escaping.SAFE", {"manifest.safe": "<x/>"})
    os.symlink(outside, escaping / "annotation.xml")
    assert refused(escaping) == "escaping.SAFE: symbolic link annotation.xml points outside the product"
    inner = write_folder(tmp_path, "inner.SAFE", {"manifest.safe": "<x/>"})
    os.symlink(inner / "manifest.safe", inner / "copy.safe")
    with ProductReader.open(inner) as product:
        assert product.read("copy.safe") == b"<x/>"


def test_duplicate_members_are_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for _ in range(2):
            info = tarfile.TarInfo("X.SAFE/manifest.safe")
            info.size = 4
            archive.addfile(info, io.BytesIO(b"<x/>"))
    (tmp_path / "twice.tar").write_bytes(buffer.getvalue())
    assert refused(tmp_path / "twice.tar") == "twice.tar: member 'X.SAFE/manifest.safe' appears twice"


@pytest.mark.parametrize(("manifest", "reason"), [
    (None, f"manifest.safe is missing from {C6DB}"),
    (b"<xfdu:XFDU><metadataSection>", f"manifest.safe of {C6DB}: not well-formed XML (unbound prefix"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
     f"manifest.safe of {C6DB}: declares a DTD or entities (<!DOCTYPE), refused for safety"),
])
def test_a_missing_corrupt_or_hostile_manifest_is_refused(tmp_path: Path, manifest: bytes | None,
                                                          reason: str) -> None:
    files = {"measurement/vv.dat": b"\1"} | ({"manifest.safe": manifest} if manifest is not None else {})
    with ProductReader.open(write_folder(tmp_path, C6DB, files)) as product, \
            pytest.raises(ExtractionError) as error:
        extract_metadata(identify(C6DB), product)
    assert str(error.value).startswith(reason)
    assert error.value.code == "extraction_failed"


def test_extraction_needs_a_reader_when_the_family_reads_files() -> None:
    with pytest.raises(ExtractionError) as error:
        extract_metadata(identify(C6DB), None)
    assert str(error.value) == f"{C6DB}: extraction reads manifest.safe: a reader over the product is needed"
