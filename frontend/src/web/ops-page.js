/* The operations page (/ops/, staff only): production jobs by state with "why is it waiting", retry and cancel;
 * ingestion (inboxes, sessions, quarantine with retry: ops-ingestion.js); monitoring; validation campaigns and their
 * reports (ops-campaigns.js); the catalogue's event outbox.
 * Each part talks to its operator-API endpoint and says plainly when that endpoint does not exist (ops-panels.js).
 * The page keeps its tab, filters and open job in its URL: /ops/?tab=jobs&state=failed&job=12,
 * /ops/?tab=ingestion&inbox=alpha&reason=checksum&sessions=complete, /ops/?tab=monitoring&hours=72.
 */

import { definitionTable, h, replace, say } from "./dom.js";
import { formatTime } from "./format.js";
import { HttpError, getJSON, postJSON } from "./http.js";
import { startCampaigns as campaignsTab } from "./ops-campaigns.js";
import { startIngestion as ingestionTab } from "./ops-ingestion.js";
import { startMonitoring as monitoringTab } from "./ops-monitoring.js";
import { adminLink, endpointCard, jsonTable, rowsOf, unavailable } from "./ops-panels.js";

const JOBS = "/api/v1/production/jobs/";
const STATES = [["", "All"], ["waiting_inputs", "Waiting for inputs"], ["ready", "Ready"], ["queued", "Queued"],
  ["running", "Running"], ["retrying", "Retrying"], ["failed", "Failed"], ["succeeded", "Succeeded"],
  ["cancelled", "Cancelled"]];
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

const params = new URLSearchParams(window.location.search);
const view = { tab: params.get("tab") || "jobs", state: params.get("state") || "", job: params.get("job") || "",
  rule: params.get("rule") || "", processor: params.get("processor") || "", inbox: params.get("inbox") || "",
  reason: params.get("reason") || "", sessions: params.get("sessions") === "complete" ? "complete" : "",
  hours: params.get("hours") || "", campaign: params.get("campaign") || "" };

function writeUrl() {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(view)) if (value && !(key === "tab" && value === "jobs")) query.set(key, value);
  const text = query.toString();
  window.history.replaceState(null, "", text ? `?${text}` : window.location.pathname);
}

// --- Tabs (WAI-ARIA tabs: arrows move between tabs) ----------------------------------------------------------------

const tabs = [...document.querySelectorAll('[role="tab"]')];
const started = new Set();

function showTab(name, { focus = false } = {}) {
  for (const tab of tabs) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    document.getElementById(tab.getAttribute("aria-controls")).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  view.tab = name;
  writeUrl();
  if (!started.has(name)) {
    started.add(name);
    ({ jobs: startJobs, ingestion: startIngestion, monitoring: startMonitoring, campaigns: startCampaigns,
      events: startEvents })[name]();
  }
}
for (const tab of tabs) {
  tab.addEventListener("click", () => showTab(tab.id.slice(4)));
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    showTab(next.id.slice(4), { focus: true });
  });
}

// --- Production jobs ---------------------------------------------------------------------------------------------------

function stateBadge(state) {
  return h("span", { class: `state state-${state}` }, state.replaceAll("_", " "));
}

function startJobs() {
  const panel = document.getElementById("panel-jobs");
  const filters = h("div", { class: "state-filter", role: "group", "aria-label": "Job state" },
    STATES.map(([value, label]) => h("button", { type: "button", class: "secondary", dataset: { state: value },
      "aria-pressed": String(view.state === value), onclick: () => { view.state = value; load(); } }, label)));
  const ruleInput = h("input", { id: "job-rule", type: "text", value: view.rule, autocomplete: "off" });
  const processorInput = h("input", { id: "job-processor", type: "text", value: view.processor, autocomplete: "off" });
  const textFilters = h("form", { class: "job-filters", onsubmit: (event) => {
    event.preventDefault();
    view.rule = ruleInput.value.trim();
    view.processor = processorInput.value.trim();
    load();
  } },
  h("label", { for: "job-rule" }, "Rule"), ruleInput, h("label", { for: "job-processor" }, "Processor"), processorInput,
  h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Apply")));
  const status = h("p", { class: "status", id: "jobs-status", role: "status", "aria-live": "polite" });
  const tableBox = h("div", { id: "jobs-table" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const detail = h("section", { id: "job-detail", class: "card", "aria-live": "polite", hidden: true, tabindex: "-1" });
  replace(panel, filters, textFilters, h("div", { class: "ops-grid" },
    h("div", {}, status, tableBox, more), detail));

  let next = null;
  let rows = [];

  function table() {
    return h("table", { class: "data", id: "jobs" },
      h("thead", {}, h("tr", {}, ["Job", "Rule", "Processor", "State", "Interval (sensing)", "Attempts", "Created"]
        .map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, rows.map((job) => h("tr", { dataset: { job: job.id }, class: String(job.id) === view.job ? "selected" : "" },
        h("td", {}, h("button", { type: "button", class: "row-link", "aria-label": `Job ${job.id}: details`,
          onclick: () => openJob(job.id) }, String(job.id))),
        h("td", {}, job.rule), h("td", {}, `${job.processor} ${job.version}`), h("td", {}, stateBadge(job.state),
          job.reason ? h("div", { class: "muted small" }, job.reason) : null),
        h("td", {}, `${formatTime(job.sensing_start || job.interval_start)} → ${formatTime(job.sensing_stop || job.interval_stop)}`),
        h("td", {}, String(job.attempts)), h("td", {}, formatTime(job.created_at))))));
  }

  async function load(url) {
    for (const button of filters.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.state === view.state));
    }
    writeUrl();
    const query = new URLSearchParams();
    if (view.state) query.set("state", view.state);
    if (view.rule) query.set("rule", view.rule);
    if (view.processor) query.set("processor", view.processor);
    say(status, "Loading jobs…");
    panel.dataset.state = "loading";
    try {
      const body = await getJSON(url || `${JOBS}?${query}`);
      rows = url ? [...rows, ...body.results] : body.results;
      next = body.next;
      replace(tableBox, rows.length ? table() : h("p", { class: "muted" }, "No job in this state."));
      more.hidden = !next;
      say(status, `${rows.length}${next ? "+" : ""} job${rows.length === 1 ? "" : "s"}`
        + (view.state ? ` ${STATES.find(([v]) => v === view.state)[1].toLowerCase()}` : ""), "ok");
      panel.dataset.state = "ready";
    } catch (error) {
      panel.dataset.state = "error";
      if (error instanceof HttpError && error.status === 404 && !url) {
        replace(panel, unavailable(JOBS, adminLink("/admin/production/job/", "Production › Jobs in the administration")));
        panel.dataset.state = "unavailable";
        return;
      }
      say(status, `Jobs: ${error.message}`, "error");
    }
  }
  more.addEventListener("click", () => load(next));

  function whyView(why) {
    return h("div", { class: "why" },
      h("h3", {}, "Why is it in this state?"),
      h("p", { id: "why-summary" }, why.summary),
      why.gives_up_at ? h("p", { class: "muted" }, `Gives up at ${formatTime(why.gives_up_at)}`) : null,
      why.next_check_at ? h("p", { class: "muted" }, `Next check at ${formatTime(why.next_check_at)}`) : null,
      jsonTable((why.inputs || []).map((input) => ({
        input: input.key, mandatory: input.mandatory ? "yes" : "no", status: input.status, reason: input.reason,
        policy: input.selected ? `${input.selected.policy} ${input.selected.file_type}` : "",
        files: (input.files || []).map((f) => f.name).join(", "),
        awaited: (input.awaited_types || []).join(", "),
        gives_up_at: input.gives_up_at || "",
      }))));
  }

  async function openJob(id) {
    view.job = String(id);
    writeUrl();
    for (const row of tableBox.querySelectorAll("tr[data-job]")) row.classList.toggle("selected", row.dataset.job === view.job);
    detail.hidden = false;
    detail.dataset.state = "loading";
    replace(detail, h("p", { class: "muted" }, "Loading the job…"));
    const message = h("p", { class: "status", id: "job-action-status", role: "status", "aria-live": "polite" });
    try {
      const [job, why] = await Promise.all([getJSON(`${JOBS}${id}/`), getJSON(`${JOBS}${id}/why/`).catch((e) => e)]);
      const act = (action, label) => h("button", { type: "button", class: action === "retry" ? "primary" : "secondary",
        id: `job-${action}`, onclick: async (event) => {
          event.target.disabled = true;
          say(message, `${label}…`);
          try {
            const updated = await postJSON(`${JOBS}${id}/${action}/`);
            say(message, `Job ${id} is now ${updated.state.replaceAll("_", " ")}.`, "ok");
            rows = rows.map((r) => (r.id === updated.id ? updated : r));
            replace(tableBox, table());
            await openJob(id);
            say(detail.querySelector("#job-action-status"), `Job ${id} is now ${updated.state.replaceAll("_", " ")}.`, "ok");
          } catch (error) {
            say(message, `${label} refused: ${error.message}`, "error");
            event.target.disabled = false;
          }
        } }, label);
      replace(detail,
        h("h2", {}, `Job ${job.id} `, stateBadge(job.state)),
        h("div", { class: "actions" },
          job.state === "failed" ? act("retry", "Retry") : null,
          TERMINAL.has(job.state) ? null : act("cancel", "Cancel"),
          h("a", { class: "button secondary", href: `/admin/production/job/${job.id}/change/` }, "In the admin")),
        message,
        definitionTable([
          ["Rule", job.rule], ["Processor", `${job.processor} ${job.version}`], ["State", job.state],
          ["Reason", job.reason || "—"], ["Mission", `${job.mission}${job.platform || ""}`], ["Timeliness", job.timeliness || "—"],
          ["Priority", `${job.priority} (${job.queue})`], ["Interval", `${formatTime(job.interval_start)} → ${formatTime(job.interval_stop)}`],
          ["Attempts", String(job.attempts)], ["Created", formatTime(job.created_at)],
          ["Mandatory deadline", formatTime(job.mandatory_deadline_at) || "—"],
        ]),
        why instanceof Error ? h("p", { class: "error" }, `Why: ${why.message}`) : whyView(why));
      detail.dataset.state = "ready";
    } catch (error) {
      replace(detail, h("p", { class: "error" }, `Job ${id}: ${error.message}`));
      detail.dataset.state = "error";
    }
  }

  load().then(() => {
    if (view.job) openJob(view.job);
  });
}

// --- Ingestion, monitoring, events -----------------------------------------------------------------------------------

function startIngestion() {
  ingestionTab(document.getElementById("panel-ingestion"), view, writeUrl);
}

function startMonitoring() {
  monitoringTab(document.getElementById("panel-monitoring"), view, writeUrl);
}

function startCampaigns() {
  campaignsTab(document.getElementById("panel-campaigns"), view, writeUrl);
}

function startEvents() {
  const panel = document.getElementById("panel-events");
  const url = "/api/v1/events/";
  const render = (body) => jsonTable(rowsOf(body).map((event) => ({
    created_at: event.created_at, kind: event.kind,
    product: event.payload && event.payload.name ? event.payload.name : event.product_id,
    dispatched_at: event.dispatched_at || "not dispatched",
  })));
  replace(panel, endpointCard({ title: "Latest catalogue events", url, render }));
}

const initial = tabs.some((tab) => tab.id === `tab-${view.tab}`) ? view.tab : "jobs";
showTab(initial);
