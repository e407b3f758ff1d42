# A reference dataset is a hand-picked test set (a few datatakes, some aux files), not a reprocessing campaign:
# a filter matching more than this is almost certainly a mistake, and is refused rather than pinned for ever.
MAX_DATASET_PRODUCTS = 2000
DATASET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
