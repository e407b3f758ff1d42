"""Metadata documents read from stored products (zip, tar, plain XML) in object storage with a few ranged
requests, whatever the size of the measurement files; an object that cannot be read is said so."""

from __future__ import annotations

import io
import os
import tarfile
import uuid
import zipfile

from rs.campaigns.fetching import RangeFile, StoredProduct, product_fetch
from rs.catalog.storage import object_store

MANIFEST = b"<XFDU><productName>P</productName></XFDU>"
BIG = 6 * 1024 * 1024


def stored(suffix: str, content: bytes) -> str:
    key = f"scoped/test-{uuid.uuid4().hex}/S3/OL/P.SEN3{suffix}"
    object_store().put_stream(key=key, stream=io.BytesIO(content))
    return key


def zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("P.SEN3/xfdumanifest.xml", MANIFEST)
        archive.writestr("P.SEN3/Oa01_radiance.nc", os.urandom(BIG))  # incompressible: the archive is > 6 MiB
        archive.writestr("P.SEN3/GRANULE/A/MTD_TL.xml", b"<a>1</a>")
        archive.writestr("P.SEN3/GRANULE/B/MTD_TL.xml", b"<a>2</a>")
    return buffer.getvalue()


def test_documents_of_a_zipped_product_are_read_by_name_with_a_few_ranged_requests():
    content = zipped()
    key = stored(".zip", content)
    fetched = product_fetch(StoredProduct(product_type="OL_1_EFR___", name="P.SEN3", size=len(content), md5="m",
                                          storage_key=key))
    assert fetched.problems == []
    assert fetched.facts.documents == {"MTD_TL.xml": b"<a>1</a>", "MTD_TL.xml#2": b"<a>2</a>",
                                       "xfdumanifest.xml": MANIFEST}
    reader = RangeFile(key)
    with zipfile.ZipFile(io.BufferedReader(reader)) as archive:
        assert archive.read("P.SEN3/xfdumanifest.xml") == MANIFEST
    assert (reader.requests, len(content) > BIG) == (2, True)  # the end and central directory, the manifest


def test_documents_of_a_tarred_product_skip_the_measurement_files():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in (("S2.SAFE/MTD_MSIL1C.xml", b"<m>1</m>"), ("S2.SAFE/IMG_DATA/B01.jp2", os.urandom(BIG))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    key = stored(".tar", buffer.getvalue())
    fetched = product_fetch(StoredProduct(product_type="S2MSI1C", name="S2.SAFE", size=len(buffer.getvalue()),
                                          md5="m", storage_key=key))
    assert fetched.facts.documents == {"MTD_MSIL1C.xml": b"<m>1</m>"}


def test_a_missing_or_unreadable_object_is_compared_by_size_and_checksum_and_said_so():
    gone = product_fetch(StoredProduct(product_type="T", name="P.SEN3", size=10, md5="m",
                                       storage_key="scoped/test-none/S3/OL/P.SEN3.zip"))
    assert gone.facts.documents == {} and gone.problems[0].startswith("object scoped/test-none/S3/OL/P.SEN3.zip")
    broken = product_fetch(StoredProduct(product_type="T", name="P.SEN3", size=5, md5="m",
                                         storage_key=stored(".zip", b"hello")))
    assert broken.problems[0].startswith("not a readable archive")
