"""Canonical XML comparison for JobOrder tests: element names, order, attributes and trimmed text, field by field."""

from __future__ import annotations

import xml.etree.ElementTree as ET

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


def canonical(element: ET.Element) -> ET.Element:
    """A copy without comments, xsi attributes and surrounding blanks."""
    copy = ET.Element(element.tag, {k: v for k, v in element.attrib.items() if not k.startswith(XSI)})
    text = (element.text or "").strip()
    copy.text = text or None
    for child in element:
        if isinstance(child.tag, str):
            copy.append(canonical(child))
    return copy


def differences(expected: ET.Element, actual: ET.Element, path: str = "") -> list[str]:
    """Every difference as '<path>: expected … got …' (empty when equal)."""
    here = f"{path}/{expected.tag}"
    if expected.tag != actual.tag:
        return [f"{here}: expected element {expected.tag}, got {actual.tag}"]
    found = []
    if expected.attrib != actual.attrib:
        found.append(f"{here}: expected attributes {expected.attrib}, got {actual.attrib}")
    if (expected.text or "") != (actual.text or ""):
        found.append(f"{here}: expected {expected.text!r}, got {actual.text!r}")
    exp_children, act_children = list(expected), list(actual)
    for n, (e, a) in enumerate(zip(exp_children, act_children, strict=False), start=1):
        found += differences(e, a, f"{here}[{n}]" if len(exp_children) > 1 else here)
    if len(exp_children) != len(act_children):
        found.append(f"{here}: expected {len(exp_children)} children "
                     f"({[c.tag for c in exp_children]}), got {len(act_children)} ({[c.tag for c in act_children]})")
    return found


def parse(text: str | bytes) -> ET.Element:
    return canonical(ET.fromstring(text.encode() if isinstance(text, str) else text))  # noqa: S314 - our samples
