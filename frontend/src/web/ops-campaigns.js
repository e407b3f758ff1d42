/* The campaigns tab of the operations page: validation campaigns (a processor version against another on a reference
 * dataset) with their state, and the report of the one opened: verdicts per version, the metadata fields that differ,
 * the costs side by side, the jobs that failed and why; links to the JSON and the downloadable HTML report.
 * The open campaign lives in the page URL (?tab=campaigns&campaign=12).
 */

import { h, replace } from "./dom.js";
import { formatTime } from "./format.js";
import { HttpError, getJSON } from "./http.js";
import { adminLink, jsonTable, rowsOf, unavailable } from "./ops-panels.js";

const CAMPAIGNS = "/api/v1/campaigns/";

function verdictBadge(verdict) {
  return h("span", { class: `state state-${verdict === "pass" ? "succeeded" : verdict === "pending" ? "running" : "failed"}` }, verdict);
}

function costRows(report) {
  const labels = report.versions.map((v) => v.label);
  const rows = [];
  for (const [task, metrics] of Object.entries(report.costs.tasks)) {
    for (const metric of ["wall_s", "cpu_s", "peak_memory_bytes", "read_bytes", "written_bytes"]) {
      const row = metrics[metric];
      if (!row || (metric.endsWith("_bytes") && metric !== "peak_memory_bytes" && task !== "(job)")) continue;
      const line = { task, metric };
      for (const label of labels) {
        const spread = row[label];
        const change = row.change_percent ? row.change_percent[label] : null;
        line[label] = spread ? `${spread.median.toFixed(3)} (${spread.minimum.toFixed(3)} to ${spread.maximum.toFixed(3)})`
          + (change === null || change === undefined ? "" : ` ${change >= 0 ? "+" : ""}${change} %`) : "";
      }
      rows.push(line);
    }
  }
  return rows;
}

function reportView(report) {
  const id = report.campaign.id;
  const failures = report.runs.flatMap((run) => run.jobs.filter((job) => job.verdict === "failed").map((job) => ({
    version: run.version, repetition: run.repetition, job: job.job_id, reason: job.reason,
    problems: job.problems.join("; "),
  })));
  return h("div", { class: "campaign-report", dataset: { campaign: String(id) } },
    h("h2", {}, `Campaign ${id}: ${report.campaign.name} `, verdictBadge(report.verdict)),
    h("p", {}, `Dataset ${report.campaign.dataset.name} v${report.campaign.dataset.version}, ${report.campaign.repetitions} `
      + `repetition(s), compared with ${report.compared_with}; ${report.state}. `,
      h("a", { href: `${CAMPAIGNS}${id}/report/?download=1` }, "JSON"), " · ",
      h("a", { href: `${CAMPAIGNS}${id}/report/html/`, id: "campaign-report-html" }, "HTML report"), " · ",
      adminLink(`/admin/campaigns/campaign/${id}/change/`, "in the admin")),
    h("h3", {}, "Versions"),
    jsonTable(report.versions.map((v) => ({ label: v.label + (v.baseline ? " (baseline)" : ""), version: v.version,
      verdict: v.verdict, pass: v.jobs.pass, differs: v.jobs.differs, failed: v.jobs.failed, pending: v.jobs.pending }))),
    h("h3", {}, "Differences"),
    jsonTable(report.differences.map((d) => ({ version: d.version, repetition: d.repetition, type: d.product_type,
      field: d.path || d.kind, expected: d.expected, actual: d.actual }))),
    h("h3", {}, "Costs (median, min to max; change against the baseline)"),
    jsonTable(costRows(report)),
    h("h3", {}, "Failed jobs"),
    jsonTable(failures));
}

export function startCampaigns(panel, view, writeUrl) {
  const list = h("div", { class: "campaign-list" }, h("p", { class: "muted" }, "Loading…"));
  const detail = h("div", { class: "campaign-detail", hidden: true });
  replace(panel, list, detail);

  async function open(id) {
    view.campaign = String(id);
    writeUrl();
    detail.hidden = false;
    detail.dataset.state = "loading";
    replace(detail, h("p", { class: "muted" }, "Comparing the outputs…"));
    try {
      replace(detail, reportView(await getJSON(`${CAMPAIGNS}${id}/report/`)));
      detail.dataset.state = "ready";
    } catch (error) {
      replace(detail, h("p", { class: "error" }, `Campaign ${id}: ${error.message}`));
      detail.dataset.state = "error";
    }
  }

  getJSON(CAMPAIGNS).then((body) => {
    const rows = rowsOf(body);
    if (rows.length === 0) {
      replace(list, h("p", { class: "muted" }, "No campaign yet: start one in the ",
        adminLink("/admin/campaigns/campaign/add/", "administration"), " or with POST ", h("code", {}, CAMPAIGNS), "."));
      return;
    }
    replace(list, h("div", { class: "table-scroll" }, h("table", { class: "data" },
      h("thead", {}, h("tr", {}, ["Campaign", "Dataset", "State", "Jobs", "Failed", "Created"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((c) => h("tr", { dataset: { campaign: String(c.id) } },
        h("td", {}, h("button", { type: "button", class: "link-button", onclick: () => open(c.id) }, `${c.id} ${c.name}`)),
        h("td", {}, `${c.dataset.name} v${c.dataset.version}`), h("td", {}, c.state),
        h("td", {}, String(c.jobs_total)), h("td", {}, String(c.jobs_failed)), h("td", {}, formatTime(c.created_at))))))));
  }).catch((error) => {
    replace(list, error instanceof HttpError && error.status === 404
      ? unavailable(CAMPAIGNS, adminLink("/admin/campaigns/campaign/", "Campaigns in the administration"))
      : h("p", { class: "error" }, `${CAMPAIGNS}: ${error.message}`));
  });
  if (view.campaign) open(view.campaign);
}
