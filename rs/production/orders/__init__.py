"""Ad-hoc production: orders of a time window, an area or a list of products (see rs/production/README.md)."""
