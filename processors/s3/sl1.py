#!/usr/bin/env python3
"""Simulated S3 SLSTR L1 (S3x_SL1): an SL_0_SLT___ product → SL_1_RBT___ (radiances and brightness
temperatures), over the input's footprint.
Listed in `<working directory name>.LIST`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.s3chain import level_up

if __name__ == "__main__":
    level_up(task_name="SL1", main="SL_0_SLT___", aux=("SL_1_GEO_AX",),
             outputs={"SL_1_RBT___": True}, software="IPF-SL-1")
