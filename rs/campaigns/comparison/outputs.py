"""What a job produced versus what it should have produced: per product type, products present, missing and extra;
sizes and checksums; the metadata documents field by field (metadata.py); a verdict.

Products of one type are paired in name order: for the same inputs, two versions of a processor name their outputs
after the same sensing times, and only processing-time fields differ, so the order is the same on both sides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rs.campaigns.comparison.metadata import DocumentComparison, Tolerances, documents_compare
from rs.campaigns.errors import InvalidDocument


class ProductStatus(StrEnum):
    IDENTICAL = "identical"  # same checksum
    EQUIVALENT = "equivalent"  # bytes differ, every metadata field within the tolerances
    DIFFERENT = "different"  # a metadata field, a metadata document or the size differs beyond the tolerances
    MISSING = "missing"  # expected, not produced
    EXTRA = "extra"  # produced, not expected


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class OutputFacts:
    """One product as the comparison sees it. `documents` maps a metadata file's name inside the product
    (`manifest.safe`, `MTD_MSIL1C.xml`, `xfdumanifest.xml`, …) to its bytes."""

    product_type: str
    name: str
    size: int
    md5: str = ""
    documents: Mapping[str, bytes] = field(default_factory=dict)


@dataclass
class ProductComparison:
    product_type: str
    status: ProductStatus
    expected_name: str | None = None
    actual_name: str | None = None
    expected_size: int | None = None
    actual_size: int | None = None
    documents: dict[str, DocumentComparison] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # documents missing on one side, unreadable documents

    def as_dict(self) -> dict[str, object]:
        return {
            "product_type": self.product_type, "status": str(self.status),
            "expected_name": self.expected_name, "actual_name": self.actual_name,
            "expected_size": self.expected_size, "actual_size": self.actual_size,
            "problems": list(self.problems),
            "documents": {
                name: {"compared": doc.compared, "tolerated": doc.tolerated,
                       "differences": [{"path": d.path, "kind": d.kind, "expected": d.expected, "actual": d.actual}
                                       for d in doc.differences]}
                for name, doc in self.documents.items()
            },
        }


@dataclass
class OutputsComparison:
    products: list[ProductComparison]

    @property
    def verdict(self) -> Verdict:
        ok = {ProductStatus.IDENTICAL, ProductStatus.EQUIVALENT}
        return Verdict.PASSED if all(p.status in ok for p in self.products) else Verdict.FAILED

    def counts(self) -> dict[str, int]:
        counts = {str(status): 0 for status in ProductStatus}
        for product in self.products:
            counts[str(product.status)] += 1
        return counts

    def by_type(self) -> dict[str, dict[str, int]]:
        """product type → {status: count}: the "present / missing / extra by product type" table."""
        table: dict[str, dict[str, int]] = defaultdict(lambda: {str(s): 0 for s in ProductStatus})
        for product in self.products:
            table[product.product_type][str(product.status)] += 1
        return dict(sorted(table.items()))


def outputs_compare(*, expected: Sequence[OutputFacts], actual: Sequence[OutputFacts],
                    tolerances: Tolerances) -> OutputsComparison:
    grouped_expected: dict[str, list[OutputFacts]] = defaultdict(list)
    grouped_actual: dict[str, list[OutputFacts]] = defaultdict(list)
    for facts in expected:
        grouped_expected[facts.product_type].append(facts)
    for facts in actual:
        grouped_actual[facts.product_type].append(facts)
    products: list[ProductComparison] = []
    for product_type in sorted(set(grouped_expected) | set(grouped_actual)):
        wanted = sorted(grouped_expected.get(product_type, []), key=lambda f: f.name)
        made = sorted(grouped_actual.get(product_type, []), key=lambda f: f.name)
        for index in range(max(len(wanted), len(made))):
            if index >= len(made):
                products.append(ProductComparison(product_type, ProductStatus.MISSING, expected_name=wanted[index].name,
                                                  expected_size=wanted[index].size))
            elif index >= len(wanted):
                products.append(ProductComparison(product_type, ProductStatus.EXTRA, actual_name=made[index].name,
                                                  actual_size=made[index].size))
            else:
                products.append(product_compare(wanted[index], made[index], tolerances))
    return OutputsComparison(products)


def product_compare(expected: OutputFacts, actual: OutputFacts, tolerances: Tolerances) -> ProductComparison:
    result = ProductComparison(expected.product_type, ProductStatus.IDENTICAL, expected_name=expected.name,
                               actual_name=actual.name, expected_size=expected.size, actual_size=actual.size)
    if expected.md5 and expected.md5 == actual.md5 and expected.size == actual.size:
        return result
    different = False
    for name in sorted(set(expected.documents) | set(actual.documents)):
        if name not in actual.documents:
            result.problems.append(f"{name}: not in the produced product")
            different = True
            continue
        if name not in expected.documents:
            result.problems.append(f"{name}: not in the expected product")
            different = True
            continue
        try:
            compared = documents_compare(expected.documents[name], actual.documents[name], tolerances)
        except InvalidDocument as exc:
            result.problems.append(f"{name}: {exc}")
            different = True
            continue
        result.documents[name] = compared
        different = different or not compared.equivalent
    if not expected.documents and not actual.documents:
        if expected.size != actual.size:
            result.problems.append(f"size {actual.size} instead of {expected.size}, and no metadata to compare")
            different = True
        elif expected.md5 and actual.md5:  # equal checksums returned above
            result.problems.append("content differs (MD5), and no metadata to compare")
            different = True
    result.status = ProductStatus.DIFFERENT if different else ProductStatus.EQUIVALENT
    return result
