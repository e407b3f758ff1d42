"""Downloads of the PRIP (prip-odata.md §10, §15): Products(<Id>)/$value, Products(<Id>)/Quicklooks('<image>')/$value
and Assets(<Id>)/$value, behind authentication, visibility and the per-user quotas of rs.subscriptions.quotas."""
