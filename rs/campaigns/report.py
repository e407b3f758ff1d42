"""A campaign's report, derived from its runs' jobs every time it is asked (so it is never stale): per job, what it
produced against what was expected, with a verdict; per version and campaign, the worst verdict; the costs side by
side. Making a job's comparison reads the products' archives; a finished job's comparison can no longer change, so
it is made once and stored (JobComparison) when its run's jobs have all ended (`comparisons_unstored`, stored by
services.campaign_comparisons_store), and a finished campaign's report costs a fixed number of queries and no read
of object storage. The report itself only reads: a comparison not stored yet (a run that just ended, a campaign
finished before comparisons were stored that way) is made in memory and left for the store to keep.

What a job is compared with: the dataset's reference outputs when it has some (each reference goes to the job
whose interval it overlaps most), else the job of the same group in the baseline run (the first version's first
repetition). The baseline run itself is then the reference: its jobs pass when they succeed.

Verdicts: `pass` (every product identical or within the tolerances), `differs` (a product missing, extra or
different, or the baseline failed where this job did not), `failed` (the job failed or was cancelled: a crash, a
hang killed at Max_Time, a missing mandatory output…), `pending` (not finished). A version's and the campaign's
verdict: pending if any job is, else failed if any is, else differs if any does, else pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from rs.campaigns.choices import CampaignState, DatasetRole
from rs.campaigns.comparison.costs import TaskCost, side_by_side
from rs.campaigns.comparison.metadata import Tolerances
from rs.campaigns.comparison.outputs import Verdict, outputs_compare
from rs.campaigns.fetching import Fetched, StoredProduct, product_fetch
from rs.campaigns.models import Campaign, CampaignRun, CampaignVersion, JobComparison
from rs.catalog import selectors as catalog_selectors
from rs.errors import Conflict, NotFound
from rs.production import selectors as production_selectors
from rs.production.choices import TERMINAL_STATES, JobState

if TYPE_CHECKING:
    from rs.production.models import Job, TaskRun

PASS, DIFFERS, FAILED, PENDING = "pass", "differs", "failed", "pending"
JOB_TOTAL = "(job)"  # the row of the costs table that sums a job's tasks and carries its I/O volumes


def worst(verdicts: Iterable[str]) -> str:
    found = set(verdicts)
    for verdict in (PENDING, FAILED, DIFFERS):
        if verdict in found:
            return verdict
    return PASS


def tolerances_of(campaign: Campaign) -> Tolerances:
    given = campaign.tolerances or {}
    return Tolerances(time_s=float(given.get("time_s", 0)), number_abs=float(given.get("number_abs", 0)),
                      number_rel=float(given.get("number_rel", 0)), ignore=tuple(given.get("ignore", ())))


def _task_text(task: TaskRun) -> str:
    if task.outcome == "timeout":
        return f"task {task.name} killed at the job's Max_Time after {task.wall_s:.1f} s (hang)"
    if task.signal:
        return f"task {task.name} crashed (signal {task.signal})"
    if task.exit_code is not None and task.exit_code >= 128:
        return f"task {task.name} failed (exit code {task.exit_code})"
    if task.outcome == "killed":
        return f"task {task.name} killed by the system (out of memory?)"
    if task.exit_code:
        return f"task {task.name} warned (exit code {task.exit_code})"
    return ""


class _Facts:
    """Everything the report needs about the campaign's jobs, read in a fixed number of queries."""

    def __init__(self, campaign: Campaign, runs: Sequence[CampaignRun]) -> None:
        rule_ids = [r.rule_id for r in runs if r.rule_id is not None]
        self.jobs: dict[int, list[Job]] = defaultdict(list)
        for job in production_selectors.jobs_of_rules(rule_ids=rule_ids):
            self.jobs[job.rule_id].append(job)
        job_ids = [j.pk for jobs in self.jobs.values() for j in jobs]
        last_run = {j.pk: j.run for jobs in self.jobs.values() for j in jobs}
        self.outputs: dict[int, list[StoredProduct]] = defaultdict(list)
        for out in production_selectors.jobs_registered_outputs(job_ids=job_ids):
            self.outputs[out.job_id].append(StoredProduct(product_type=out.product_type, name=out.name,
                                                          size=out.size or 0, md5=out.md5,
                                                          storage_key=out.storage_key))
        self.missing: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in production_selectors.jobs_missing_outputs(job_ids=job_ids):
            self.missing[row.job_id].append({"product_type": row.product_type, "mandatory": row.mandatory})
        self.tasks: dict[int, list[TaskRun]] = defaultdict(list)
        for task in production_selectors.jobs_task_runs(job_ids=job_ids):
            if task.run == last_run[task.job_id]:
                self.tasks[task.job_id].append(task)
        self.input_bytes = production_selectors.jobs_input_bytes(job_ids=job_ids)
        self.references = self._references(campaign)
        self.stored = {c.job_id: c for c in JobComparison.objects.filter(job_id__in=job_ids)}
        self.to_store: list[JobComparison] = []  # made now, lasting: what the store keeps
        self.unstorable = 0  # made now while the object store failed: made again next time
        self._fetched: dict[str, Fetched] = {}

    @staticmethod
    def _references(campaign: Campaign) -> list[tuple[StoredProduct, datetime | None, datetime | None]]:
        ids = list(campaign.dataset.items.filter(role=DatasetRole.REFERENCE_OUTPUT).values_list("product_id",
                                                                                                flat=True))
        return [(StoredProduct(product_type=p.product_type, name=p.name, size=p.content_length, md5=p.md5,
                               storage_key=p.storage_key if p.online else ""), p.content_start, p.content_end)
                for p in catalog_selectors.products_by_ids(ids=ids).order_by("name")]

    def fetch(self, product: StoredProduct) -> Fetched:
        key = product.storage_key or f"name:{product.name}"
        if key not in self._fetched:
            self._fetched[key] = product_fetch(product)
        return self._fetched[key]


def _overlap(job: Job, start: datetime | None, stop: datetime | None) -> float:
    if start is None:
        return 0.0
    stop = stop or start
    return (min(job.interval_stop, stop) - max(job.interval_start, start)).total_seconds()


def _references_by_group(facts: _Facts, baseline_jobs: Sequence[Job]) -> tuple[dict[str, list[StoredProduct]],
                                                                               list[str]]:
    by_group: dict[str, list[StoredProduct]] = defaultdict(list)
    unmatched = []
    for product, start, stop in facts.references:
        scored = [(_overlap(job, start, stop), job.group_key) for job in baseline_jobs]
        best = max(scored, default=None)
        if best is None or (len(baseline_jobs) > 1 and best[0] < 0):
            unmatched.append(product.name)
        else:
            by_group[best[1]].append(product)
    return by_group, unmatched


def _job_costs(job: Job, tasks: Sequence[TaskRun], input_bytes: int, output_bytes: int) -> list[TaskCost]:
    costs = [TaskCost(task=t.name, wall_s=t.wall_s, cpu_s=t.cpu_user_s + t.cpu_system_s,
                      peak_memory_bytes=t.max_rss_kib * 1024) for t in tasks]
    if tasks:
        wall = (max(t.finished_at for t in tasks) - min(t.started_at for t in tasks)).total_seconds()
        costs.append(TaskCost(task=JOB_TOTAL, wall_s=wall, cpu_s=sum(c.cpu_s for c in costs),
                              peak_memory_bytes=max(c.peak_memory_bytes for c in costs), read_bytes=input_bytes,
                              written_bytes=output_bytes))
    return costs


def _comparison(job: Job, facts: _Facts, *, expected: list[StoredProduct], expected_key: str,
                tolerances: Tolerances) -> tuple[dict[str, Any], list[str]]:
    """The job's comparison and what reading the products said: the stored one when it was made against the same
    expectation, else made now from the archives (to be stored, unless the store failed while reading)."""
    stored = facts.stored.get(job.pk)
    if stored is not None and stored.expected == expected_key:
        return stored.comparison, list(stored.problems)
    fetched_expected = [facts.fetch(p) for p in expected]
    fetched_actual = [facts.fetch(p) for p in facts.outputs.get(job.pk, [])]
    problems = [f"{item.facts.name}: {text}" for item in [*fetched_expected, *fetched_actual]
                for text in item.problems]
    compared = outputs_compare(expected=[f.facts for f in fetched_expected],
                               actual=[f.facts for f in fetched_actual], tolerances=tolerances)
    comparison = {"verdict": str(compared.verdict), "counts": compared.counts(), "by_type": compared.by_type(),
                  "products": [p.as_dict() for p in compared.products]}
    if all(item.lasting for item in [*fetched_expected, *fetched_actual]):
        facts.to_store.append(JobComparison(job_id=job.pk, expected=expected_key, comparison=comparison,
                                            problems=problems))
    else:
        facts.unstorable += 1
    return comparison, problems


def _job_entry(job: Job, facts: _Facts, *, expected: list[StoredProduct] | None, expected_kind: str,
               expected_key: str, expected_job: Job | None, tolerances: Tolerances,
               problems: list[str]) -> dict[str, Any]:
    tasks = facts.tasks.get(job.pk, [])
    outputs = facts.outputs.get(job.pk, [])
    problems = [*problems, *(text for text in (_task_text(t) for t in tasks) if text)]
    if job.state in (JobState.SUCCEEDED, JobState.FAILED) and not outputs:
        problems.append("no output registered")
    if job.state in (JobState.FAILED, JobState.CANCELLED) and not tasks:
        problems.append("no task ran")
    comparison = None
    if job.state not in TERMINAL_STATES:
        verdict = PENDING
    elif job.state != JobState.SUCCEEDED:
        verdict = FAILED
    elif expected is None:
        verdict = DIFFERS if problems and expected_kind == "baseline" and expected_job is not None else PASS
    else:
        comparison, read_problems = _comparison(job, facts, expected=expected, expected_key=expected_key,
                                                tolerances=tolerances)
        problems.extend(read_problems)
        verdict = PASS if comparison["verdict"] == Verdict.PASSED else DIFFERS
    return {
        "job_id": job.pk, "group_key": job.group_key, "state": job.state, "reason": job.reason,
        "verdict": verdict, "runs": job.run,
        "compared_with": None if expected is None and expected_job is None else {
            "kind": expected_kind, "job_id": expected_job.pk if expected_job is not None else None},
        "tasks": [{"name": t.name, "outcome": t.outcome, "exit_code": t.exit_code, "signal": t.signal,
                   "wall_s": round(t.wall_s, 3), "cpu_s": round(t.cpu_user_s + t.cpu_system_s, 3),
                   "peak_memory_bytes": t.max_rss_kib * 1024} for t in tasks],
        "missing_outputs": facts.missing.get(job.pk, []),
        "outputs": [{"name": o.name, "product_type": o.product_type, "size": o.size, "md5": o.md5}
                    for o in outputs],
        "input_bytes": facts.input_bytes.get(job.pk, 0), "output_bytes": sum(o.size for o in outputs),
        "comparison": comparison, "problems": problems,
    }


def _differences(label: str, repetition: int, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Every field that differs in the job's products, flat (what operators read first)."""
    found = []
    for product in (entry["comparison"] or {}).get("products", []):
        if product["status"] in ("missing", "extra"):
            found.append({"version": label, "repetition": repetition, "job_id": entry["job_id"],
                          "product_type": product["product_type"], "document": None, "path": None,
                          "kind": product["status"], "expected": product["expected_name"],
                          "actual": product["actual_name"]})
        for document, compared in product["documents"].items():
            for diff in compared["differences"]:
                found.append({"version": label, "repetition": repetition, "job_id": entry["job_id"],
                              "product_type": product["product_type"], "document": document, **diff})
    return found


def _costs(labels: list[str], per_label: dict[str, list[TaskCost]]) -> dict[str, Any]:
    table = side_by_side({label: per_label.get(label, []) for label in labels}, baseline=labels[0])
    for metrics in table.values():
        for row in metrics.values():
            ratios = row.get("ratio") or {}
            assert isinstance(ratios, dict)
            row["change_percent"] = {v: (round((r - 1) * 100, 1) if r is not None else None)
                                     for v, r in ratios.items()}
    return {"baseline": labels[0], "tasks": table}


@dataclass(frozen=True)
class ComparisonsMade:
    """The comparisons a report had to make (none stored for its job, or made against another expectation), to be
    stored; `complete` when every job is final and nothing was left out (no read of the store failed)."""

    comparisons: list[JobComparison]
    complete: bool


def campaign_report(*, campaign_id: int) -> dict[str, Any]:
    """The report; reads only (what is not stored yet is made in memory)."""
    body, _ = _report(campaign_id)
    return body


def comparisons_unstored(*, campaign_id: int) -> ComparisonsMade:
    """The comparisons of the campaign's finished jobs that are not stored yet, made now from the archives."""
    body, facts = _report(campaign_id)
    return ComparisonsMade(comparisons=facts.to_store,
                           complete=body["state"] == "finished" and not facts.unstorable)


def _report(campaign_id: int) -> tuple[dict[str, Any], _Facts]:
    campaign = (Campaign.objects.select_related("dataset", "created_by").filter(pk=campaign_id).first())
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    if campaign.state == CampaignState.DELETING:
        raise Conflict(f"campaign {campaign_id} is being deleted: it has no report any more")
    versions: list[CampaignVersion] = list(campaign.versions.select_related("processor_version__processor"))
    runs: list[CampaignRun] = list(campaign.runs.order_by("version__position", "repetition"))
    facts = _Facts(campaign, runs)
    tolerances = tolerances_of(campaign)
    label_of = {v.pk: v.label for v in versions}
    baseline_run = runs[0] if runs else None
    baseline_jobs = facts.jobs.get(baseline_run.rule_id, []) if baseline_run and baseline_run.rule_id else []
    baseline_by_group = {j.group_key: j for j in baseline_jobs}
    use_references = bool(facts.references)
    references, unmatched = _references_by_group(facts, baseline_jobs) if use_references else ({}, [])

    run_entries, differences = [], []
    costs: dict[str, list[TaskCost]] = defaultdict(list)
    verdicts_by_version: dict[str, list[str]] = defaultdict(list)
    for run in runs:
        label = label_of[run.version_id]
        entries = []
        for job in facts.jobs.get(run.rule_id or 0, []):
            problems: list[str] = []
            expected: list[StoredProduct] | None
            expected_job: Job | None = None
            expected_key = ""
            if use_references:
                kind, expected = "reference", references.get(job.group_key, [])
                expected_key = f"references:{campaign.dataset_id}"
            elif run is baseline_run:
                kind, expected = "baseline", None
            else:
                kind, expected_job = "baseline", baseline_by_group.get(job.group_key)
                expected = None
                expected_key = f"baseline:{expected_job.pk}" if expected_job is not None else ""
                if expected_job is None:
                    problems.append("the baseline run has no job for this group")
                elif expected_job.state not in TERMINAL_STATES:
                    problems.append(f"baseline job {expected_job.pk} not finished yet")
                elif expected_job.state != JobState.SUCCEEDED:
                    problems.append(f"baseline job {expected_job.pk} {expected_job.state}: nothing to compare with")
                else:
                    expected = facts.outputs.get(expected_job.pk, [])
            entry = _job_entry(job, facts, expected=expected, expected_kind=kind, expected_key=expected_key,
                               expected_job=expected_job, tolerances=tolerances, problems=problems)
            if entry["verdict"] != FAILED and expected_job is not None and expected_job.state not in TERMINAL_STATES:
                entry["verdict"] = PENDING
            entries.append(entry)
            differences.extend(_differences(label, run.repetition, entry))
            outputs_bytes = entry["output_bytes"]
            costs[label].extend(_job_costs(job, facts.tasks.get(job.pk, []), entry["input_bytes"], outputs_bytes))
        verdict = worst(e["verdict"] for e in entries) if entries else PENDING
        verdicts_by_version[label].append(verdict)
        run_entries.append({
            "version": label, "repetition": run.repetition, "scope": run.scope, "verdict": verdict,
            "state": "running" if any(e["state"] not in TERMINAL_STATES for e in entries) else "finished",
            "skipped_inputs": run.skipped, "jobs": entries})
    labels = [v.label for v in versions]
    version_entries = [{
        "label": v.label, "processor": v.processor_version.processor.name, "version": v.processor_version.version,
        "processor_version_id": v.processor_version_id, "parameters": v.parameters, "baseline": v.position == 0,
        "verdict": worst(verdicts_by_version.get(v.label, [PENDING])),
        "jobs": {verdict: sum(1 for r in run_entries if r["version"] == v.label for e in r["jobs"]
                              if e["verdict"] == verdict) for verdict in (PASS, DIFFERS, FAILED, PENDING)},
    } for v in versions]
    first = labels[0] if labels else ""
    body: dict[str, Any] = {
        "campaign": {
            "id": campaign.pk, "name": campaign.name, "template_rule": campaign.template_rule,
            "dataset": {"id": campaign.dataset_id, "name": campaign.dataset.name,
                        "version": campaign.dataset.version},
            "repetitions": campaign.repetitions, "tolerances": campaign.tolerances,
            "created_at": campaign.created_at.isoformat(),
            "created_by": campaign.created_by.get_username() if campaign.created_by else None,
        },
        "state": "running" if any(r["state"] == "running" for r in run_entries) else "finished",
        "verdict": worst(v["verdict"] for v in version_entries) if version_entries else PENDING,
        "compared_with": ("the dataset's reference outputs" if use_references
                          else f"the baseline version {first}, repetition 1"),
        "versions": version_entries,
        "differences": differences,
        "unmatched_references": unmatched,
        "costs": _costs(labels, costs) if labels else {"baseline": None, "tasks": {}},
        "runs": run_entries,
        "generated_at": timezone.now().isoformat(),
    }
    return body, facts

