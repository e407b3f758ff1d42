/* Product details: every OData property and attribute, the quicklook, lineage (inputs and outputs, from the
 * operator API, for signed-in users) and the download, which needs a signed-in session. */

import { definitionTable, h, replace, say } from "./dom.js";
import { formatBytes, formatTime } from "./format.js";
import { HttpError, getJSON, headStatus } from "./http.js";

const PROPERTY_ORDER = ["Id", "Name", "ContentType", "ContentLength", "OriginDate", "PublicationDate",
  "ModificationDate", "Online", "EvictionDate", "S3Path", "ProductionType"];

export const downloadUrl = (id) => `/odata/v1/Products(${id})/$value`;

function propertyValue(name, value) {
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "none");
  if (name === "ContentLength") return `${formatBytes(value)} (${Number(value).toLocaleString("en-GB")} bytes)`;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (/Date$/.test(name)) return h("time", { datetime: value }, value);
  return String(value);
}

function attributeText(attribute) {
  if (attribute.Value === null || attribute.Value === undefined) return "";
  return typeof attribute.Value === "boolean" ? String(attribute.Value) : String(attribute.Value);
}

/** What the download button does when the server refuses: the reason, in words. */
export function downloadProblem(status) {
  if (status === 401 || status === 403) return "The server did not accept your session for downloads (HTTP " + status + "). Sign in again.";
  if (status === 404 || status === 405 || status === 501) {
    return `Download is not available on this server yet (HTTP ${status}).`;
  }
  if (status === 410) return "This product is offline: it was evicted from storage.";
  if (status === 429) return "Too many downloads at once (HTTP 429). Try again in a moment.";
  if (status === 0) return "The server could not be reached.";
  return `The download failed (HTTP ${status}).`;
}

export function createDetails(panel, { client, onClose, onZoom, onOpenProduct }) {
  let controller = null;

  function lineageList(label, products) {
    return h("div", { class: "lineage-part" }, h("h4", {}, label),
      products.length === 0 ? h("p", { class: "muted" }, "none")
        : h("ul", {}, products.map((p) => h("li", {}, h("a", {
          href: `/?product=${encodeURIComponent(p.id)}`, dataset: { product: p.id },
          onclick: (event) => { event.preventDefault(); onOpenProduct(p.id); },
        }, p.name)))));
  }

  async function lineage(id, box, signal) {
    if (!client.authenticated) {
      replace(box, h("p", {}, h("a", { href: `${client.loginUrl}?next=${encodeURIComponent(`/?product=${id}`)}` },
        "Sign in"), " to see the inputs and outputs of this product."));
      return;
    }
    try {
      const body = await getJSON(`/api/v1/products/${id}/`, { signal });
      replace(box, lineageList("Inputs", body.inputs || []), lineageList("Outputs", body.outputs || []));
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(box, h("p", { class: "error" }, `Lineage unavailable: ${error.message}`));
    }
  }

  function downloadControl(product, message) {
    if (!client.authenticated) {
      return h("a", { class: "button secondary", id: "download-sign-in",
        href: `${client.loginUrl}?next=${encodeURIComponent(`/?product=${product.Id}`)}` }, "Sign in to download");
    }
    if (product.Online === false) return h("span", { class: "muted" }, "Offline: evicted from storage");
    const href = downloadUrl(product.Id);
    return h("a", {
      class: "button primary", id: "download", href, download: "",
      onclick: async (event) => {
        // Ask first (HEAD answers like the GET without the bytes), so a refusal is explained here instead of
        // leaving the page for an error document. The browser then downloads with its session cookie.
        event.preventDefault();
        say(message, "Checking the download…");
        const status = await headStatus(href);
        if (status >= 200 && status < 400) {
          say(message, "Download started.", "ok");
          window.location.assign(href);
        } else {
          say(message, downloadProblem(status), "error");
        }
      },
    }, "Download");
  }

  function quicklook(product) {
    const asset = (product.Assets || []).find((a) => a.Type === "QUICKLOOK");
    if (!asset) return h("p", { class: "muted" }, "No quicklook.");
    if (!client.authenticated) {  // quicklooks are downloads: they need a signed-in session too
      return h("p", { class: "muted quicklook-sign-in" }, h("a", {
        href: `${client.loginUrl}?next=${encodeURIComponent(`/?product=${product.Id}`)}` }, "Sign in"), " to see the quicklook.");
    }
    const figure = h("figure", { class: "quicklook" });
    const image = h("img", { src: asset.DownloadLink, alt: `Quicklook of ${product.Name}`, loading: "lazy" });
    image.addEventListener("error", () => replace(figure, h("p", { class: "muted" }, "The quicklook could not be loaded.")));
    figure.append(image);
    return figure;
  }

  function render(product) {
    const message = h("p", { class: "status", id: "download-status", role: "status", "aria-live": "polite" });
    const lineageBox = h("div", { class: "lineage" }, h("p", { class: "muted" }, "Loading…"));
    const content = product.ContentDate || {};
    const rows = [
      ...PROPERTY_ORDER.slice(0, 9).map((name) => [name, propertyValue(name, product[name])]),
      ["ContentDate/Start", propertyValue("StartDate", content.Start)],
      ["ContentDate/End", propertyValue("EndDate", content.End)],
      ...PROPERTY_ORDER.slice(9).map((name) => [name, propertyValue(name, product[name])]),
      ...(product.Checksum || []).map((c) => [`Checksum ${c.Algorithm}`,
        h("span", {}, h("code", {}, c.Value), c.ChecksumDate ? h("span", { class: "muted" }, ` ${formatTime(c.ChecksumDate)}`) : null)]),
      ["Footprint", product.Footprint ? h("details", {}, h("summary", {}, "WKT"), h("code", { class: "wkt" }, product.Footprint))
        : propertyValue("Footprint", null)],
    ];
    const attributes = [...(product.Attributes || [])].sort((a, b) => a.Name.localeCompare(b.Name));
    replace(panel,
      h("div", { class: "details-head" },
        h("h2", { id: "details-title", tabindex: "-1" }, product.Name),
        h("button", { type: "button", class: "icon close", "aria-label": "Close the details", onclick: onClose }, "×")),
      h("div", { class: "actions" },
        downloadControl(product, message),
        product.GeoFootprint ? h("button", { type: "button", class: "secondary", onclick: () => onZoom(product.Id) }, "Zoom to footprint") : null,
        h("a", { class: "button secondary", href: `/odata/v1/Products(${product.Id})?$expand=Attributes,Assets`, target: "_blank", rel: "noopener" }, "OData JSON")),
      message,
      quicklook(product),
      h("h3", {}, "Properties"),
      definitionTable(rows),
      h("h3", {}, `Attributes (${attributes.length})`),
      h("table", { class: "props attributes" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Value"), h("th", { scope: "col" }, "Type"))),
        h("tbody", {}, attributes.map((a) => h("tr", {}, h("th", { scope: "row" }, a.Name), h("td", {}, attributeText(a)),
          h("td", { class: "muted" }, a.ValueType))))),
      h("h3", {}, "Lineage"),
      lineageBox);
    return lineageBox;
  }

  return {
    async open(id, { focus = true } = {}) {
      if (controller) controller.abort();
      controller = new AbortController();
      const { signal } = controller;
      panel.hidden = false;
      panel.dataset.state = "loading";
      panel.dataset.id = id;
      replace(panel, h("p", { class: "status" }, "Loading the product…"));
      try {
        const product = await getJSON(`/odata/v1/Products(${encodeURIComponent(id)})?$expand=Attributes,Assets`, { signal });
        const lineageBox = render(product);
        panel.dataset.state = "ready";
        if (focus) panel.querySelector("#details-title").focus();
        lineage(product.Id, lineageBox, signal);
        return product;
      } catch (error) {
        if (error.name === "AbortError") return null;
        panel.dataset.state = "error";
        replace(panel,
          h("div", { class: "details-head" }, h("h2", { id: "details-title", tabindex: "-1" }, "Product not found"),
            h("button", { type: "button", class: "icon close", "aria-label": "Close the details", onclick: onClose }, "×")),
          h("p", { class: "error" }, error instanceof HttpError ? error.message : String(error)));
        return null;
      }
    },
    close() {
      if (controller) controller.abort();
      panel.hidden = true;
      panel.dataset.id = "";
      replace(panel);
    },
  };
}
