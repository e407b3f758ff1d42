/* The ingestion tab of the operations page: inboxes (last poll, entries per state, problems), downlink sessions and
 * exactly which chunks they lack, and the quarantine (failed entries) with retry, download and deletion of the copy.
 * Everything comes from /api/v1/ingestion/; the quarantine filters live in the page URL (?tab=ingestion&inbox=…).
 */

import { h, replace, say } from "./dom.js";
import { formatCount, formatTime } from "./format.js";
import { getJSON, postJSON } from "./http.js";

const API = "/api/v1/ingestion";
const OPEN = [["waiting", "Waiting"], ["pending", "Pending"], ["transferring", "Transferring"], ["failed", "Failed"]];

function plural(count, one, many = `${one}s`) {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

function card(id, title, ...children) {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title),
    ...children);
}

function badge(state, text = state) {
  return h("span", { class: `state state-${state}` }, text);
}

/** A list that loads page after page of a cursor-paginated endpoint ("Load more"). */
function pagedList({ status, box, more, render, describe, cardNode }) {
  let rows = [];
  let next = null;
  async function load(url, { append = false } = {}) {
    cardNode.dataset.state = "loading";
    try {
      const body = await getJSON(url);
      rows = append ? [...rows, ...body.results] : body.results;
      next = body.next;
      replace(box, render(rows));
      more.hidden = !next;
      say(status, describe(rows, Boolean(next)), "ok");
      cardNode.dataset.state = "ready";
    } catch (error) {
      say(status, error.message, "error");
      cardNode.dataset.state = "error";
    }
  }
  more.addEventListener("click", () => load(next, { append: true }));
  return {
    load,
    get rows() { return rows; },
    set rows(value) {
      rows = value;
      replace(box, render(rows));
      say(status, describe(rows, Boolean(next)), "ok");
    },
  };
}

// --- Inboxes -------------------------------------------------------------------------------------------------------

function inboxesCard(onFailedClick) {
  const status = h("p", { class: "status", id: "inboxes-status", role: "status", "aria-live": "polite" });
  const box = h("div", { class: "table-scroll" });
  const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
  const node = card("inboxes-card", "Inboxes", status, box, h("div", { class: "actions" }, refresh));

  function lastPoll(inbox) {
    if (!inbox.last_polled_at) return h("span", { class: "muted" }, "never polled");
    return [formatTime(inbox.last_polled_at), " ", inbox.last_poll_ok ? badge("succeeded", "OK") : badge("failed", "failed"),
      inbox.polling ? h("div", { class: "muted small" }, "polling now") : null];
  }

  function table(inboxes, hours) {
    return h("table", { class: "data", id: "inboxes" },
      h("thead", {}, h("tr", {}, ["Inbox", "Enabled", "Last poll", ...OPEN.map(([, label]) => label),
        `Ingested (${hours} h)`, `Skipped (${hours} h)`, "Problems"].map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, inboxes.map((inbox) => h("tr", { dataset: { inbox: inbox.name } },
        h("th", { scope: "row" }, h("a", { href: `/admin/ingestion/inbox/${inbox.id}/change/` }, inbox.name),
          h("div", { class: "muted small" }, inbox.kind)),
        h("td", {}, inbox.enabled ? "yes" : "no"),
        h("td", {}, lastPoll(inbox)),
        OPEN.map(([state]) => h("td", { dataset: { count: state } },
          state === "failed" && inbox.entries.failed > 0
            ? h("button", { type: "button", class: "row-link", "aria-label": `${inbox.name}: ${plural(inbox.entries.failed, "failed entry", "failed entries")} in quarantine`,
              onclick: () => onFailedClick(inbox.name) }, formatCount(inbox.entries.failed))
            : formatCount(inbox.entries[state]))),
        h("td", { dataset: { count: "ingested" } }, formatCount(inbox.finished.ingested)),
        h("td", { dataset: { count: "skipped" } }, formatCount(inbox.finished.skipped)),
        h("td", { class: "small" }, inbox.problems.length
          ? h("ul", { class: "problems" }, inbox.problems.map((problem) => h("li", { class: "error" }, problem)))
          : h("span", { class: "muted" }, "none"))))));
  }

  let inboxes = [];
  node.load = async () => {
    node.dataset.state = "loading";
    try {
      inboxes = [];
      let url = `${API}/inboxes/?page_size=200`;
      while (url) {
        const body = await getJSON(url);
        inboxes = [...inboxes, ...body.results];
        url = body.next;
      }
      replace(box, inboxes.length ? table(inboxes, 24) : h("p", { class: "muted" }, "No inbox is configured."));
      const failing = inboxes.filter((inbox) => inbox.problems.length).length;
      say(status, `${plural(inboxes.length, "inbox", "inboxes")}${failing ? `, ${failing} with problems` : ""}`, failing ? "error" : "ok");
      node.dataset.state = "ready";
    } catch (error) {
      say(status, `Inboxes: ${error.message}`, "error");
      node.dataset.state = "error";
    }
    return inboxes;
  };
  refresh.addEventListener("click", () => node.load());
  return node;
}

// --- Sessions ------------------------------------------------------------------------------------------------------

function channelCell(channel) {
  const missing = channel.missing_chunks;
  return h("div", { class: "channel", dataset: { channel: channel.channel } },
    h("strong", {}, `Channel ${channel.channel}: `),
    channel.dsib ? "DSIB ✓, " : h("span", { class: "error" }, "no DSIB yet, "),
    `${formatCount(channel.chunks_received)}${channel.dsib ? `/${formatCount(channel.chunks_listed)}` : ""} chunks`,
    missing.length ? h("details", { class: "missing" },
      h("summary", {}, plural(missing.length, "missing chunk")),
      h("ul", { class: "small" }, missing.map((name) => h("li", {}, name)))) : null);
}

function sessionsCard(view, writeUrl) {
  const status = h("p", { class: "status", id: "sessions-status", role: "status", "aria-live": "polite" });
  const box = h("div", { class: "table-scroll" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const states = [["incomplete", "Incomplete"], ["complete", "Complete"]];
  const filter = h("div", { class: "state-filter", role: "group", "aria-label": "Session state" },
    states.map(([value, label]) => h("button", { type: "button", class: "secondary", dataset: { sessions: value },
      onclick: () => { view.sessions = value === "incomplete" ? "" : value; load(); } }, label)));
  const node = card("sessions-card", "Downlink sessions", filter, status, box, more);
  const current = () => view.sessions || "incomplete";

  const render = (sessions) => (sessions.length ? h("table", { class: "data", id: "sessions" },
    h("thead", {}, h("tr", {}, ["Session", "Station", "First seen", current() === "complete" ? "Completed" : "What it lacks",
      "Channels"].map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, sessions.map((session) => h("tr", { dataset: { session: session.session_id } },
      h("th", { scope: "row" }, h("a", { href: `/admin/ingestion/session/${session.id}/change/` }, session.session_id),
        h("div", { class: "muted small" }, session.satellite || "satellite unknown")),
      h("td", {}, session.station || "—"),
      h("td", {}, formatTime(session.first_seen_at)),
      h("td", {}, session.state === "complete" ? formatTime(session.completed_at) : [
        session.missing_dsib_channels.map((c) => h("div", {}, `DSIB of channel ${c}`)),
        session.missing_chunks.length ? h("div", {}, plural(session.missing_chunks.length, "chunk")) : null]),
      h("td", {}, session.channel_status.map(channelCell))))))
    : h("p", { class: "muted" }, current() === "complete" ? "No complete session." : "No incomplete session."));

  const list = pagedList({ status, box, more, render, cardNode: node,
    describe: (rows, hasMore) => `${plural(rows.length, `${current()} session`)}${hasMore ? " (more below)" : ""}` });

  function load() {
    for (const button of filter.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.sessions === current()));
    }
    writeUrl();
    return list.load(`${API}/sessions/?state=${current()}`);
  }
  node.load = load;
  return node;
}

// --- Quarantine ----------------------------------------------------------------------------------------------------

function quarantineCard(view, writeUrl, onChange) {
  const inboxSelect = h("select", { id: "quarantine-inbox" }, h("option", { value: "" }, "All inboxes"));
  const reasonInput = h("input", { id: "quarantine-reason", type: "search", value: view.reason, autocomplete: "off",
    placeholder: "e.g. checksum" });
  const form = h("form", { class: "job-filters", onsubmit: (event) => {
    event.preventDefault();
    view.inbox = inboxSelect.value;
    view.reason = reasonInput.value.trim();
    load();
  } },
  h("label", { for: "quarantine-inbox" }, "Inbox"), inboxSelect,
  h("label", { for: "quarantine-reason" }, "Reason contains"), reasonInput,
  h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Apply")));
  const status = h("p", { class: "status", id: "quarantine-status", role: "status", "aria-live": "polite" });
  const message = h("p", { class: "status", id: "quarantine-action-status", role: "status", "aria-live": "polite" });
  const box = h("div", { class: "table-scroll" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const node = card("quarantine-card", "Quarantine (failed entries)",
    h("p", { class: "muted small" }, "A retry reads the item again from its source. The copy is the item as it was received."),
    form, status, message, box, more);

  async function act(entry, action, button) {
    button.disabled = true;
    const label = action === "retry" ? "Retry" : "Deleting the copy";
    say(message, `${label} of entry ${entry.id}…`);
    try {
      const updated = await postJSON(`${API}/quarantine/${entry.id}/${action}/`);
      if (action === "retry") {
        list.rows = list.rows.filter((row) => row.id !== entry.id);
        say(message, `Entry ${entry.id} (${entry.key}) is queued again: ${updated.state}.`, "ok");
        onChange();
      } else {
        list.rows = list.rows.map((row) => (row.id === entry.id ? updated : row));
        say(message, `The quarantine copy of entry ${entry.id} is deleted.`, "ok");
      }
    } catch (error) {
      say(message, `${label} of entry ${entry.id} refused: ${error.message}`, "error");
      button.disabled = false;
    }
  }

  const render = (entries) => (entries.length ? h("table", { class: "data", id: "quarantine" },
    h("thead", {}, h("tr", {}, ["Entry", "Inbox", "Item", "Reason", "Attempts", "Failed at", "Copy", "Actions"]
      .map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, entries.map((entry) => h("tr", { dataset: { entry: entry.id } },
      h("td", {}, h("a", { href: `/admin/ingestion/inboxentry/${entry.id}/change/` }, String(entry.id))),
      h("td", {}, entry.inbox),
      h("td", { class: "small item" }, entry.key),
      h("td", { class: "small reason" }, entry.reason),
      h("td", {}, String(entry.attempts)),
      h("td", {}, formatTime(entry.finished_at)),
      h("td", {}, entry.quarantined
        ? h("a", { href: `${API}/quarantine/${entry.id}/download/`, id: `download-${entry.id}`, download: "" }, "Download")
        : h("span", { class: "muted" }, "no copy")),
      h("td", {}, h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", id: `retry-${entry.id}`, "aria-label": `Retry entry ${entry.id}`,
          onclick: (event) => act(entry, "retry", event.currentTarget) }, "Retry"),
        entry.quarantined ? h("button", { type: "button", class: "secondary", id: `purge-${entry.id}`,
          "aria-label": `Delete the quarantine copy of entry ${entry.id}`,
          onclick: (event) => {
            if (window.confirm(`Delete the quarantine copy of entry ${entry.id}? The entry stays failed.`)) act(entry, "purge", event.currentTarget);
          } }, "Delete copy") : null))))))
    : h("p", { class: "muted" }, "No failed entry."));

  const list = pagedList({ status, box, more, render, cardNode: node,
    describe: (rows, hasMore) => `${plural(rows.length, "failed entry", "failed entries")}${hasMore ? " (more below)" : ""}`
      + `${view.inbox ? ` in ${view.inbox}` : ""}${view.reason ? ` with “${view.reason}”` : ""}` });

  function load() {
    inboxSelect.value = view.inbox;
    reasonInput.value = view.reason;
    writeUrl();
    const query = new URLSearchParams();
    if (view.inbox) query.set("inbox", view.inbox);
    if (view.reason) query.set("reason", view.reason);
    return list.load(`${API}/quarantine/?${query}`);
  }
  node.load = load;
  node.setInboxes = (names) => {
    replace(inboxSelect, h("option", { value: "" }, "All inboxes"), names.map((name) => h("option", { value: name }, name)));
    inboxSelect.value = view.inbox;
  };
  node.showInbox = (name) => {
    view.inbox = name;
    view.reason = "";
    load();
    node.scrollIntoView({ block: "start" });
    inboxSelect.focus();
  };
  return node;
}

export function startIngestion(panel, view, writeUrl) {
  let quarantine = null;
  const inboxes = inboxesCard((name) => quarantine.showInbox(name));
  const sessions = sessionsCard(view, writeUrl);
  quarantine = quarantineCard(view, writeUrl, () => inboxes.load());
  replace(panel, inboxes, sessions, quarantine);
  panel.dataset.state = "loading";
  const ready = Promise.all([
    inboxes.load().then((list) => quarantine.setInboxes(list.map((inbox) => inbox.name))),
    sessions.load(),
    quarantine.load(),
  ]);
  ready.then(() => { panel.dataset.state = "ready"; });
  return ready;
}
