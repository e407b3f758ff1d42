"""Folders become one archive streamed on the fly: valid, deterministic, never reading through links."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from rs.ingestion.errors import BadInput
from rs.ingestion.packaging import package_of
from rs.ingestion.sources.layout import safe_file_name


@pytest.fixture
def product(tmp_path: Path) -> Path:
    root = tmp_path / "S1A_AUX_CAL_V20261021T100000_G20261017T100000.SAFE"
    (root / "data").mkdir(parents=True)
    (root / "manifest.safe").write_bytes(b"<xfdu/>")
    (root / "data" / "cal.xml").write_bytes(b"x" * 3000)
    (root / "data" / "empty.bin").write_bytes(b"")
    for path in root.rglob("*"):
        os.utime(path, (1_795_000_000, 1_795_000_000))
    return root


def test_a_folder_is_streamed_as_a_zip_with_every_file_under_its_name(product: Path):
    package = package_of(product, archive=".zip")
    data = b"".join(package.chunks())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [f"{product.name}/", f"{product.name}/data/", f"{product.name}/manifest.safe",
                                      f"{product.name}/data/cal.xml", f"{product.name}/data/empty.bin"]
        assert archive.read(f"{product.name}/data/cal.xml") == b"x" * 3000
        assert archive.testzip() is None
    assert (package.suffix, package.content_type, package.file_size) == (".zip", "application/zip", None)
    assert b"".join(package_of(product, archive=".zip").chunks()) == data  # same folder, same bytes


def test_a_folder_is_streamed_as_a_tar_for_sentinel_2(product: Path):
    data = b"".join(package_of(product, archive=".tar").chunks())
    assert len(data) % (20 * 512) == 0
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        assert archive.getnames() == [product.name, f"{product.name}/data", f"{product.name}/manifest.safe",
                                      f"{product.name}/data/cal.xml", f"{product.name}/data/empty.bin"]
        member = archive.extractfile(f"{product.name}/data/cal.xml")
        assert member is not None and member.read() == b"x" * 3000


def test_a_file_goes_as_it_is(product: Path):
    package = package_of(product / "manifest.safe", archive=".zip")
    assert (package.suffix, package.file_size, b"".join(package.chunks())) == ("", 7, b"<xfdu/>")


def test_links_inside_a_product_are_refused(product: Path):
    (product / "data" / "secret").symlink_to("/etc/hostname")
    with pytest.raises(BadInput, match=f"symbolic link inside the product: {product.name}/data/secret"):
        package_of(product, archive=".zip")


@pytest.mark.parametrize(("name", "safe"), [
    ("../../etc/passwd", "passwd"), ("a b/c?d", "c_d"), (".hidden", "hidden"), ("", "item"),
    ("S1A_X.SAFE/", "S1A_X.SAFE"), ("..\\..\\boot.ini", "boot.ini"),
])
def test_names_from_sources_become_one_harmless_segment(name: str, safe: str):
    assert safe_file_name(name) == safe
