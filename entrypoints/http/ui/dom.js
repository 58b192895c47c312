// DOM helpers and the admin API client. Every value from the API becomes a text node or an
// attribute value: nothing is ever parsed as HTML (a title named "<img onerror=...>" stays text).

const TOKEN_KEY = "rec-admin-token";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  fill(node, children);
  return node;
}

export function fill(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function replace(node, ...children) {
  node.replaceChildren();
  return fill(node, children);
}

export function table(headers, rows) {
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c))))),
  );
}

export function fixed(value, digits = 4) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "–";
}

export function when(iso) {
  if (!iso) return "–";
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? String(iso) : moment.toLocaleString();
}

// --- the token: typed once, kept in this tab's sessionStorage, sent only as a bearer header ---
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

const listeners = { unauthenticated: [] };
export function onUnauthenticated(callback) {
  listeners.unauthenticated.push(callback);
}

// Ids are 64-bit: an integer past 2^53 would lose its last digits as a JS number, so it is read
// from its source text as a BigInt (shown and sent back exactly; the reviver's `context` is the
// JSON.parse source-text access every current browser has).
function exactIntegers(_key, value, context) {
  if (typeof value === "number" && !Number.isSafeInteger(value) && context && /^-?\d+$/.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}

export function parseJson(text) {
  return JSON.parse(text, exactIntegers);
}

// One call of the service's JSON API. Errors become ApiError carrying the API's own `detail`.
export async function api(method, path, { query = {}, body } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  const headers = { Accept: "application/json" };
  const secret = token.get();
  if (secret) headers.Authorization = `Bearer ${secret}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (failure) {
    throw new ApiError(0, "network", `the service cannot be reached (${failure.message})`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? parseJson(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail =
      data && typeof data.detail === "string"
        ? data.detail
        : `HTTP ${response.status} ${response.statusText}: ${text.slice(0, 200)}`;
    const error = new ApiError(response.status, data && data.error ? data.error : "http", detail);
    if (response.status === 401) listeners.unauthenticated.forEach((callback) => callback(error));
    throw error;
  }
  return data;
}

// A panel's status line: the API's detail on failure, a short note on success.
export function say(panel, text, kind = "info") {
  const line = panel.querySelector(".message");
  line.textContent = text;
  line.className = `message ${kind}`;
}

// A panel whose last call failed and whose next one worked: the stale error goes.
export function recovered(panel) {
  const line = panel.querySelector(".message");
  if (line.classList.contains("error")) {
    line.textContent = "";
    line.className = "message";
  }
}

export function fail(panel, error) {
  const detail = error instanceof ApiError ? error.detail : `unexpected error: ${error.message || error}`;
  say(panel, detail, "error");
}

// Names of titles by id through /admin/titles (500 ids per call); unknown ids are absent.
export async function titleNames(ids) {
  const unique = [...new Set(ids)].filter((id) => typeof id === "number" || typeof id === "bigint");
  const names = new Map();
  for (let start = 0; start < unique.length; start += 500) {
    const chunk = unique.slice(start, start + 500);
    const answer = await api("GET", "/admin/titles", { query: { ids: chunk.join(",") } });
    for (const title of answer.titles) names.set(title.title_id, title);
  }
  return names;
}

// The in-page confirmation (no window.confirm: it can be suppressed and cannot be styled).
export function confirmAction(message) {
  const overlay = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = message;
  overlay.hidden = false;
  return new Promise((resolve) => {
    const yes = document.getElementById("confirm-yes");
    const no = document.getElementById("confirm-no");
    const done = (answer) => {
      overlay.hidden = true;
      yes.removeEventListener("click", onYes);
      no.removeEventListener("click", onNo);
      resolve(answer);
    };
    const onYes = () => done(true);
    const onNo = () => done(false);
    yes.addEventListener("click", onYes);
    no.addEventListener("click", onNo);
    yes.focus();
  });
}
