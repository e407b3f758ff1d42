# A reference dataset is a hand-picked test set (a few datatakes, some aux files), not a reprocessing campaign:
# a filter matching more than this is almost certainly a mistake, and is refused rather than pinned for ever.
MAX_DATASET_PRODUCTS = 2000
DATASET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

# A campaign compares a few versions a few times; more is a benchmark of the farm, not a validation.
MAX_CAMPAIGN_VERSIONS = 6
MAX_REPETITIONS = 10
# Metadata fields that differ between any two runs, even of the same version on the same inputs (processing time,
# names carrying it, the software version), so they would hide the real differences: ignored unless the campaign
# gives its own `ignore` list. Patterns of comparison/metadata.py (namespaces dropped).
DEFAULT_IGNORED_FIELDS = (
    "*/productName", "*/creationTime", "*/processing/@start", "*/processing/@stop", "*/software/@version",
    "*/GENERATION_TIME", "*/PRODUCT_URI", "*/PROCESSING_BASELINE_TIME",
)

# Deletion in the background: the worker's lease on a campaign, renewed before each page of jobs (a page of 200
# jobs — their objects, entries and rows — takes seconds), so a killed worker blocks it this long at most.
DELETION_LEASE_S = 300
# A campaign left `deleting` this long with no worker holding it is sent again by the periodic task (the message
# was lost, the worker killed or the deletion stopped on an error); long enough for the first send to be taken.
DELETION_RESEND_AFTER_S = 180
