"""Web client benchmark: first render, first results and the map's frame rate with 1,000 footprints, in the real
Chromium on a live test server. Runs the pytest module beside this file (it needs the suite's fixtures: the test
database, the live server, Playwright) and writes the figures to test-artifacts/web/timings.json.

    make bench B=web
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.exit(pytest.main([str(HERE / "timings.py"), "-p", "no:cacheprovider", "-s", "-q",
                          "--rootdir", str(HERE.parents[1])]))
