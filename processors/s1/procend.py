#!/usr/bin/env python3
"""Simulated S1 IPF_ProcEND: the last pool of the S1 L2 tables; lists the products of the working directory that
the JobOrder's outputs name in `<working directory name>.LIST`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.chains import outputs_collect, workdir_list_name
from ipfsim.runtime import run

if __name__ == "__main__":
    run(task_name="ProcEND", body=outputs_collect, list_name=workdir_list_name, default_duration_s=0.0)
