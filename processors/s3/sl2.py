#!/usr/bin/env python3
"""Simulated S3 SLSTR L2 (S3x_SL2): an SL_1_RBT___ frame → SL_2_LST___ (land) and SL_2_WCT___ (water)
temperatures, over the input's footprint.
Listed in `<working directory name>.LIST`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.s3chain import level_up

if __name__ == "__main__":
    level_up(task_name="SL2", main="SL_1_RBT___", aux=("SL_2_LSTCAX",),
             outputs={"SL_2_LST___": True, "SL_2_WCT___": True}, software="IPF-SL-2")
