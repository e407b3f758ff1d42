/* How values are written on the page: UTC times, sizes, numbers. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || Number.isNaN(Number(bytes))) return "";
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${UNITS[unit]}`;
}

/** "2024-06-04T11:01:00.494767Z" → "2024-06-04 11:01:00Z" (UTC, as stored). */
export function formatTime(value) {
  if (!value) return "";
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(value);
  return match ? `${match[1]} ${match[2]}Z` : String(value);
}

export function formatCount(value) {
  return Number(value).toLocaleString("en-GB");
}

/** Mission of a product from its name: S1A_… → S1, S5P_… → S5P. */
export function missionOf(name) {
  const match = /^S(\d)/.exec(name || "");
  if (!match) return "";
  return match[1] === "5" ? "S5P" : `S${match[1]}`;
}
