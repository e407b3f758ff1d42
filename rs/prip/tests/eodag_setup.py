"""Running the real eodag package (`cop_dataspace` provider) against our live test server, offline and isolated.

The test process imports this module for `run_eodag()`; the eodag subprocess executes the same file as a script
(standard library only, no Django), so the searches run in a clean interpreter that reads no user configuration.

What eodag 4.10 would fetch over the network and how it is prevented (prip-odata.md §17.1):
* the external collections list (https://cs-si.github.io/eodag/…/ext_collections.json) whenever it refreshes
  collections (`list_collections()`, a search of a collection it does not know): EODAG_EXT_COLLECTIONS_CFG_URI
  points at the copy packaged with eodag;
* the provider's own collection discovery when that list is empty: same setting (a customised URI disables it);
* the OIDC discovery document of `cop_dataspace`'s Keycloak auth when a product's download link matches the auth
  plugin's `matching_url` (built for every search result, with `requests.get` and no timeout): the auth plugin is
  pointed at an unroutable origin so that our download links never match it and searches stay anonymous;
* every other provider: EODAG_PROVIDERS_WHITELIST keeps `cop_dataspace` only.
Belt and braces: an audit hook in the subprocess refuses any DNS lookup or connection other than the live server,
so a forgotten fetch fails at once with its address instead of hanging, and sockets get a default timeout.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SEARCH_TIMEOUT_S = 15  # one OData page; ours answer in milliseconds
RUN_TIMEOUT_S = 50  # interpreter start-up (about 2 s), configuration, every page of every search
UNROUTABLE_AUTH = "http://auth.invalid"  # reserved TLD (RFC 2606): never resolves, never matches our links


def eodag_environment(*, home: Path, server_url: str) -> dict[str, str]:
    """The complete environment of the eodag subprocess: nothing inherited except the interpreter's PATH."""
    spec = importlib.util.find_spec("eodag")  # located, not imported: the test process stays free of it
    if spec is None or spec.origin is None:
        raise AssertionError("eodag is not installed: pip install -r requirements-dev.txt")
    resources = Path(spec.origin).parent / "resources"
    root = f"{server_url}/odata/v1"
    return {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
        "HOME": str(home),  # eodag writes ~/.config/eodag/{eodag,locations}.yml here from its templates
        "LANG": "C.UTF-8",
        "EODAG_PROVIDERS_WHITELIST": '["cop_dataspace"]',  # a JSON list: a bare string raises SettingsError
        "EODAG_EXT_COLLECTIONS_CFG_URI": str(resources / "ext_collections.json"),
        "EODAG__COP_DATASPACE__SEARCH__API_ENDPOINT": f"{root}/Products",
        "EODAG__COP_DATASPACE__SEARCH__TIMEOUT": str(SEARCH_TIMEOUT_S),
        # the metadata key is `eodag:download_link`; eodag reads this variable name for it (a template on {uid})
        "EODAG__COP_DATASPACE__SEARCH__METADATA_MAPPING__EODAG_DOWNLOAD_LINK": f"{root}/Products({{uid}})/$value",
        # until the access issue lands, the auth plugin is pointed elsewhere so that no search needs a login
        "EODAG__COP_DATASPACE__AUTH__MATCHING_URL": UNROUTABLE_AUTH,
        "EODAG__COP_DATASPACE__AUTH__OIDC_CONFIG_URL": f"{UNROUTABLE_AUTH}/realms/rs/.well-known/openid-configuration",
    }


def run_eodag(*, home: Path, server_url: str, searches: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Run the named searches in one eodag subprocess and return what it found (see `_main` for the shape).

    A search is {"method": "search_all" | "next_page", "params": {...}} with eodag's keyword arguments."""
    host, _, port = server_url.removeprefix("http://").partition(":")
    request = {"allowed": [host, int(port)], "timeout": SEARCH_TIMEOUT_S, "searches": searches}
    try:
        # -I: without it the script's directory comes first on sys.path and our requests.py shadows `requests`
        completed = subprocess.run(
            [sys.executable, "-I", "-B", __file__], input=json.dumps(request), capture_output=True, text=True,
            env=eodag_environment(home=home, server_url=server_url), cwd=home, timeout=RUN_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"eodag did not finish within {RUN_TIMEOUT_S} s; its log:\n{exc.stderr}") from None
    if completed.returncode != 0:
        raise AssertionError(f"eodag failed (exit {completed.returncode}):\n{completed.stderr[-8000:]}")
    return json.loads(completed.stdout)


# --- the subprocess side (standard library and eodag only) ------------------------------------------------------------


def _guard_network(host: str, port: int) -> list[str]:
    """Refuse any name lookup or connection except to the live server; return the list of connections made."""
    loopback = {host, "localhost", "127.0.0.1", "::1"}
    made: list[str] = []

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.getaddrinfo" and args[0] not in loopback | {None}:
            raise ConnectionRefusedError(f"eodag tried to resolve {args[0]!r}: only the live server is reachable")
        if event == "socket.connect" and isinstance(args[1], tuple):
            address = args[1]
            made.append(f"{address[0]}:{address[1]}")
            if address[0] not in loopback or address[1] != port:
                raise ConnectionRefusedError(f"eodag tried to connect to {address}: only {host}:{port} is reachable")

    sys.addaudithook(hook)
    return made


def _product_json(product: Any) -> dict[str, Any]:
    geometry = product.geometry
    return {
        "properties": product.properties,
        "bounds": list(geometry.bounds) if geometry is not None else None,
        "collection": product.collection,
        "provider": product.provider,
        "location": product.location,
        "downloadable": product.downloader is not None,
        "authenticated_download": product.downloader_auth is not None,
    }


class _Collect(logging.Handler):
    """Keeps eodag's warnings: search_all logs a failed page as a warning and returns what it had."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


def _main() -> None:
    import socket
    import warnings

    request = json.load(sys.stdin)
    host, port = request["allowed"]
    connections = _guard_network(host, port)
    socket.setdefaulttimeout(request["timeout"])  # covers the calls eodag makes without a timeout
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
    collected = _Collect()
    logging.getLogger("eodag").addHandler(collected)
    warnings.simplefilter("ignore", DeprecationWarning)

    from eodag import EODataAccessGateway
    from eodag import __version__ as eodag_version

    dag = EODataAccessGateway()
    output: dict[str, Any] = {"version": eodag_version, "providers": list(dag.providers), "searches": {},
                              "counts": {}}
    for name, search in request["searches"].items():
        params = {"provider": "cop_dataspace", "raise_errors": True, **search["params"]}
        if search["method"] == "search_all":
            pages = [[_product_json(p) for p in dag.search_all(**params)]]  # one list: search_all merges pages
        else:  # page by page, as a notebook user does
            page = dag.search(**params)
            output["counts"][name] = page.number_matched
            pages = [[_product_json(p) for p in page]]
            pages.extend([_product_json(p) for p in following] for following in page.next_page(update=False))
        output["searches"][name] = pages
    output["connections"] = sorted(set(connections))
    output["warnings"] = collected.messages
    json.dump(output, sys.stdout, default=str)


if __name__ == "__main__":
    _main()
