#!/usr/bin/env python3
"""A tiny processor for the execution tests, obeying the processor contract (rs/production/README.md): reads
its JobOrder,
reads each input's manifest, writes one output product per declared output type (the input's name and manifest
with the output type), a .LIST file, IPF log lines, and exits with the code asked.

Behaviour comes from the JobOrder's processing parameters:
  sleep_s      seconds to sleep before writing the outputs (default 0)
  exit_code    exit code to end with (default 0); >= 128 writes no output
  spawn_child  "true": start a child process (same process group) that would outlive the processor
  marker_dir   a folder where "<job>_<run>.started" is written when the processor starts (pids inside)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

NAME, VERSION = "SIM_IPF", "01.00"


def log(level: str, message: str, stream=sys.stdout) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    print(f"{now} {socket.gethostname()} {NAME} {VERSION} [{os.getpid():010d}]: [{level}] {message}", file=stream,
          flush=True)


def parameters(root: ET.Element) -> dict[str, str]:
    found = {}
    for element in root.iter():
        name, value = element.find("Name"), element.find("Value")
        if name is not None and value is not None and name.text:
            found[name.text.strip()] = (value.text or "").strip()
    return found


def main() -> int:
    joborder = Path(sys.argv[1])
    workdir = joborder.parent
    root = ET.parse(joborder).getroot()  # noqa: S314 - written by the Reference System for this run
    params = parameters(root)
    log("I", f"Starting {NAME} V{VERSION} with JobOrder file {joborder}")
    child = None
    if params.get("spawn_child") == "true":
        child = subprocess.Popen(["sleep", "300"])
        log("I", f"child process {child.pid} started")
    marker_dir = params.get("marker_dir")
    if marker_dir:
        marker = Path(marker_dir) / f"{os.environ['RS_JOB_ID']}_{os.environ['RS_JOB_RUN']}.started"
        marker.write_text(f"{os.getpid()} {child.pid if child else ''}\n")
    named = [e.text.strip() for e in root.iter("File_Name") if e.text]  # inputs are named twice (Time_Interval)
    inputs = [Path(name) for name in dict.fromkeys(named) if name.endswith(".SEN3") and Path(name).is_dir()]
    for path in inputs:
        manifest = (path / "xfdumanifest.xml").read_text()
        log("I", f"read input {path.name} ({len(manifest)} bytes of manifest)")
    print("free text on stdout, not an IPF line", flush=True)
    time.sleep(float(params.get("sleep_s", "0") or 0))
    code = int(params.get("exit_code", "0") or 0)
    if code >= 128:
        log("E", f"simulated failure, exit code {code}", stream=sys.stderr)
        return code
    output_types = sorted({e.findtext("File_Type", "").strip() for e in root.iter("Output")} - {""})
    listed = []
    for path in inputs:
        for output_type in output_types:
            name = path.name[:4] + output_type + path.name[15:]
            product = workdir / name
            product.mkdir()
            text = (path / "xfdumanifest.xml").read_text().replace(path.name, name)
            text = text.replace(f"<productType>{path.name[4:15]}</productType>", f"<productType>{output_type}"
                                                                                  "</productType>")
            (product / "xfdumanifest.xml").write_text(text)
            (product / "measurement.bin").write_bytes(os.urandom(2048))
            listed.append(name)
            log("P", f"output {name} written")
    (workdir / "report.xml").write_text("<report/>")
    (workdir / f"{workdir.name}.LIST").write_text("\n".join([*listed, "report.xml", ""]))
    if code:
        log("W", f"ending with warning exit code {code}")
    log("I", f"Leaving {NAME} with exit code {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
