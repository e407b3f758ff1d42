/* Calls to the project's own APIs with the session cookie (same origin). Errors carry the status and the message
 * of the API's error body: OData {"error": {"message"}} or the operator API {"error": {"message", "details"}}. */

export class HttpError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function messageOf(status, body) {
  const error = body && typeof body === "object" ? body.error : null;
  if (error && typeof error === "object") {
    let message = error.message || `HTTP ${status}`;
    if (error.details && typeof error.details === "object" && !Array.isArray(error.details)) {
      const parts = Object.entries(error.details).map(([field, text]) => `${field}: ${[].concat(text).join(" ")}`);
      if (parts.length) message += ` (${parts.join("; ")})`;
    }
    return message;
  }
  if (body && body.detail) return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  return `HTTP ${status}`;
}

async function request(url, options) {
  const response = await fetch(url, { credentials: "same-origin", ...options });
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) throw new HttpError(response.status, messageOf(response.status, body), body);
  return body;
}

export function getJSON(url, { signal } = {}) {
  return request(url, { signal, headers: { Accept: "application/json" } });
}

function cookie(name) {
  const entry = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return entry ? decodeURIComponent(entry.slice(name.length + 1)) : "";
}

/** POST with the CSRF token Django's session authentication asks for. */
export function postJSON(url, data = {}) {
  return request(url, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
    body: JSON.stringify(data),
  });
}

/** Status of a HEAD request (no body, no redirect followed), or 0 when the server cannot be reached. */
export async function headStatus(url) {
  try {
    const response = await fetch(url, { method: "HEAD", credentials: "same-origin", redirect: "manual" });
    return response.type === "opaqueredirect" ? 302 : response.status;
  } catch {
    return 0;
  }
}
