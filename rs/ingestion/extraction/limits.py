"""Caps protecting ingestion from hostile or broken deliveries (zip bombs, huge listings, huge metadata)."""

# S2 user products hold about 150 files and PDI granules a few dozen; 100 000 bounds the listing kept in memory.
MAX_MEMBERS = 100_000

# The largest Sentinel products (S1 EW SLC, S3 SY L2) stay well under 20 GB; above 64 GiB it is not a product.
MAX_TOTAL_UNCOMPRESSED = 64 * 2**30

# Measurement data compresses less than 5:1 and XML 10-30:1; a member of zeros reaches about 1000:1.
MAX_COMPRESSION_RATIO = 200

# Below 1 MiB a member cannot hurt whatever its ratio (small XML files compress well and are read capped anyway).
RATIO_CHECK_FLOOR = 2**20

# Default cap of one read: the biggest metadata files (S2 datastrip MTD) are a few MB.
DEFAULT_MAX_READ = 50 * 2**20

# Quicklooks (S1 quick-look.png, S2 PVI) are under 2 MB; more is not a quicklook.
QUICKLOOK_MAX_BYTES = 20 * 2**20
