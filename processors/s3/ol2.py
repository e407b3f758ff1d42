#!/usr/bin/env python3
"""Simulated S3 OLCI L2 (S3x_OL2): an OL_1_EFR___ frame → OL_2_LFR___ (land) and OL_2_WFR___ (water), over the
input's footprint.
Listed in `<working directory name>.LIST`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.s3chain import level_up

if __name__ == "__main__":
    level_up(task_name="OL2", main="OL_1_EFR___", aux=(),
             outputs={"OL_2_LFR___": True, "OL_2_WFR___": True}, software="IPF-OL-2")
