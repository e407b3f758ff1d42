"""Bulk load of metadata-only products from NDJSON: `python manage.py catalog load FILE.ndjson`.

For benchmarks and migrations from another catalogue. One JSON object per line:

    {"id": "<uuid>", "name": "S1A_IW_GRDH_1SDV_….SAFE", "mission": "S1", "platform": "A",
     "productType": "IW_GRDH_1S", "processingLevel": "L1", "start": "2024-06-04T11:01:00.123456Z",
     "end": "…Z", "publicationDate": "…Z", "contentLength": 1693552230, "checksum": "<md5 hex>",
     "footprint": {"type": "Polygon", "coordinates": [[[lon, lat], …]]}, "attributes": {"orbitNumber": 54172, …}}

Required: id, name, mission, platform, productType, start, end, contentLength. May be absent or null:
processingLevel, publicationDate (null: unpublished), checksum, footprint (null: no geometry), attributes. Any
other key is refused (a misspelt key would otherwise lose data silently). Blank lines are skipped.

The rows are exactly those `services.product_register` writes for a metadata-only product (storage_key "",
online False, operational scope, systematic production) given this metadata:

* family and level come from the product type (the table in `classification_of`), as identification does from
  the name: S1 `MM_TTTR_LC` by type, level and class (an L0 `…_RAW__0S` needs the `productConsolidation`
  attribute to tell a slice from a segment), S2 user products and PDI types by a table, S3 by level and the
  timeliness of the name's class id. A type outside the table is refused, never guessed. `processingLevel`, when
  given, must equal the derived level (L0, L1, L2, AUX, …).
* mode = the S1 mode of the type (`IW_GRDH_1S` → `IW`), '' otherwise; timeliness = the `timeliness` attribute;
  instrument configuration = the `instrumentConfigurationID` attribute; generation date = the `processingDate`
  attribute; MD5 date = the publication date (else the load time).
* footprint normalised by `rs.catalog.footprints` (antimeridian split, counter-clockwise); open rings are closed,
  as manifests give them open. Its shape must fit the product as `product_register` requires: a (Multi)LineString
  only for S1 WV/RF level-0 products (their nadir line, split at ±180°), no footprint for auxiliary files; any other
  line is refused with the reason. The common case, one simple ring away from ±180°, is done here without GEOS (same
  output, checked by the tests); every other shape goes through `footprint_normalise` itself.
* attributes typed as `product_register` types them: the registry's type for known names, the JSON type for the
  others (a string is a String: JSON has no date type); DateTimeOffset values are ISO 8601 strings with a zone.

Batches: lines are read in batches of `batch_size`. A batch is validated completely before any of it is written,
then written in one transaction. The first bad line stops the load with its line number and field: nothing of its
batch is written, the batches before it stay (resume with `skip_existing` once the line is fixed), or nothing at
all with `atomic`. Products already in the catalog (same id, or same name in the operational scope) are errors,
or skipped and counted with `skip_existing` when the id and the name both match.

Events: bulk-loaded products are history, so no `created`/`published` events are written (consumers would start
productions for years-old products). `emit_events` writes them through `services.event_emit` (slow: one insert
per event).

On PostgreSQL the rows go in with COPY, one transaction per batch committed without waiting for the WAL flush
(`synchronous_commit = off`: a crash can lose the last batches' commits, never half a batch; resume with
`skip_existing`). Parsing runs in `workers` processes (one a core), each taking chunks of `chunk_lines` lines and
answering with the encoded COPY text of its valid rows, while the main process COPYs the previous batch; the
chunks are taken in file order, so the first bad line is still the one reported, after the batches before it are
written. SpatiaLite parses in a thread and uses bulk_create.
"""

from rs.catalog.bulk.footprints import footprint_hexewkb
from rs.catalog.bulk.load import DEFAULT_BATCH_SIZE, LoadReport, Progress, products_load
from rs.catalog.bulk.rows import ProductRow, product_row_of_line
from rs.catalog.bulk.values import BulkLoadError
from rs.catalog.families import classification_of

__all__ = ["DEFAULT_BATCH_SIZE", "BulkLoadError", "LoadReport", "ProductRow", "Progress", "classification_of",
           "footprint_hexewkb", "product_row_of_line", "products_load"]
