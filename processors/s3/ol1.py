#!/usr/bin/env python3
"""Simulated S3 OLCI L1 (S3x_OL1): an OL_0_EFR___ product → OL_1_EFR___ (frame) and OL_1_ERR___ (stripe) over
its footprint, over the input's footprint.
Listed in `<working directory name>.LIST`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.s3chain import level_up

if __name__ == "__main__":
    level_up(task_name="OL1", main="OL_0_EFR___", aux=("OL_1_CLUTAX",),
             outputs={"OL_1_EFR___": True, "OL_1_ERR___": False}, software="IPF-OL-1")
