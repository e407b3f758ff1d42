"""README.md stays true: its one table of variables has every variable the system reads, its dependencies table
every pinned package, and the paths, make targets and management commands it names exist."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from tests.test_compose import COMPOSE, settings_variable_names, variable_uses

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.fixture(autouse=True)
def _object_storage() -> None:
    """Overrides the suite's autouse fixture: these tests read files only."""


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def table_first_cells(text: str) -> list[str]:
    return [line.split(" | ")[0].removeprefix("| ") for line in text.splitlines()
            if line.startswith("| ") and not line.startswith(("| Variable ", "| Package ", "| Part "))]


def test_the_configuration_table_has_every_variable_the_settings_compose_and_scripts_read() -> None:
    scripts = "\n".join(path.read_text() for path in sorted((ROOT / "scripts").glob("*.sh")))
    read_by_scripts = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):?-", scripts))
    read_directly = {name for path in (ROOT / "conftest.py", *(ROOT / "rs").rglob("*.py")) if "tests" not in path.parts
                     for name in re.findall(r"os\.environ\.get\(\"([A-Z][A-Z0-9_]*)\"", path.read_text())}
    read = settings_variable_names() | {name for name, _op in variable_uses(COMPOSE)} | read_by_scripts | read_directly
    documented = {name for cell in table_first_cells(section("Configuration"))
                  for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}
    assert {"RS_PORT", "RS_SKIP_APT", "RS_TEST_ALLOW_SPATIALITE", "PROMETHEUS_MULTIPROC_DIR"} <= read  # scans work
    assert sorted(read - documented) == []
    assert sorted(documented - read) == []


def test_the_dependencies_table_explains_every_pinned_python_package() -> None:
    pinned = set()
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            requirement = line.split("#", 1)[0].strip()
            if requirement and not requirement.startswith("-r"):
                pinned.add(re.split(r"[\[=<>]", requirement, maxsplit=1)[0].lower())
    explained = {re.split(r"[\[ ]", package.strip(), maxsplit=1)[0].lower()
                 for cell in table_first_cells(section("Dependencies")) for package in cell.split(",")}
    assert sorted(pinned - explained) == []


def test_the_paths_of_the_architecture_table_exist() -> None:
    parts = section("Architecture").split("| Part | Where | What it does |\n|---|---|---|\n", 1)[1].split("\n\n")[0]
    where = [line.split(" | ")[1] for line in parts.splitlines()]
    paths = [path for cell in where for path in re.findall(r"`([^`]+)`", cell)]
    assert len(paths) >= 20
    missing = [path for path in paths
               if not (list(ROOT.glob(path.replace("<app>", "*"))) if "<app>" in path else (ROOT / path).exists())]
    assert missing == []


def test_the_make_targets_the_readme_names_exist() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))
    named = {*re.findall(r"`make ([a-z-]+)", README), *re.findall(r"^make ([a-z-]+)", README, flags=re.MULTILINE)}
    assert named == {"run", "test", "lint", "services-start", "services-stop", "bench"}
    assert named <= targets


def subcommands(parser: argparse.ArgumentParser) -> set[str]:
    return {choice for action in parser._actions if action.choices and not action.option_strings
            for choice in action.choices}


def test_the_management_commands_the_readme_names_exist_with_their_first_action() -> None:
    commands = get_commands()
    named = set(re.findall(r"manage\.py ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", README))
    assert len(named) >= 15
    for command, action in sorted(named):
        assert command in commands, command
        if action:
            parser = load_command_class(commands[command], command).create_parser("manage.py", command)
            assert action in subcommands(parser), f"manage.py {command} {action}"
