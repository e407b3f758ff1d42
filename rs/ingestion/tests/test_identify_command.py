"""`manage.py identify`: an aligned table or JSON lines, exit status 1 when a name is not recognised."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

C6DB = "S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE.zip"
AUX = "S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE"
REPOSITORY = Path(__file__).resolve().parents[3]


def run(*args: str) -> str:
    out = StringIO()
    call_command("identify", *args, stdout=out)
    return out.getvalue()


def test_names_are_printed_as_an_aligned_table() -> None:
    lines = run(C6DB, AUX, "S1A/SESSION1/ch01/DCS_02_SESSION1_ch1_DSIB.xml").splitlines()
    assert lines[0].split() == ["NAME", "FAMILY", "MISSION", "PLATFORM", "PRODUCT", "TYPE", "LEVEL", "START", "STOP"]
    assert lines[1].split() == [C6DB, "L0_SLICE", "S1", "A", "IW_RAW__0S", "L0", "2017-12-13T12:16:23Z",
                                "2017-12-13T12:16:56Z"]
    assert lines[2].split() == [AUX, "AUXILIARY_FILE", "S1", "A", "AUX_CAL", "AUX", "2017-10-17T08:00:00Z", "-"]
    assert lines[3].split() == ["S1A/SESSION1/ch01/DCS_02_SESSION1_ch1_DSIB.xml", "EDRS_SESSION", "S1", "A",
                                "SESSION", "RAW", "-", "-"]
    assert lines[0].index("FAMILY") == lines[1].index("L0_SLICE") == lines[2].index("AUXILIARY_FILE")
    assert lines[0].index("START") == lines[1].index("2017-12-13T12:16:23Z") == lines[3].index("-  ")


def test_json_lines_carry_the_identification() -> None:
    line = json.loads(run("--json", C6DB))
    assert line == {
        "name": C6DB, "product_name": C6DB.removesuffix(".zip"), "archive_suffix": ".zip", "family": "L0_SLICE",
        "mission": "S1", "platform": "A", "product_type": "IW_RAW__0S", "level": "L0",
        "start": "2017-12-13T12:16:23Z", "stop": "2017-12-13T12:16:56Z", "time_kind": "sensing", "generation": None,
        "timeliness": "", "is_container": True, "metadata_files": ["manifest.safe"], "session": None,
    }
    aux = json.loads(run("--json", AUX))
    assert (aux["start"], aux["stop"], aux["time_kind"], aux["generation"]) == (
        "2017-10-17T08:00:00Z", None, "validity", "2017-10-13T10:12:00Z")


def test_an_unrecognised_name_is_reported_and_fails_the_command() -> None:
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("identify", "--json", AUX, "S1B", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[1] == {"name": "S1B", "error": "S1B: a bare mission prefix, not a product name"}
    assert (str(error.value), error.value.returncode) == ("1 of 2 name(s) not recognised", 1)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("identify", "../x.SAFE", stdout=out)
    assert out.getvalue() == "../x.SAFE  NOT RECOGNISED: ../x.SAFE: path traversal ('..')\n"


def test_the_command_line_exits_with_status_1_and_no_traceback() -> None:
    done = subprocess.run([sys.executable, "manage.py", "identify", AUX, "not-a-product"], cwd=REPOSITORY,
                          capture_output=True, text=True, env=os.environ.copy(), timeout=60, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "not-a-product  NOT RECOGNISED: not-a-product: matches no Sentinel product" in done.stdout
    assert done.stderr.strip() == "CommandError: 1 of 2 name(s) not recognised"
