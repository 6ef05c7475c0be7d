// The one client of the JSON API for the pages that call it (review, adjudication, blind
// labelling): the session cookie, the CSRF token on changes, JSON in and out, and every refusal
// thrown as an ApiError that carries the HTTP status, the server's message and its code.
//
// Whether and when a failed request is tried again is decided here too (`retryDelay`,
// `withRetry`), so every page follows the same rule: a lost connection is tried again for as
// long as it takes, a server error (5xx, e.g. 503 "the database is unavailable for a moment")
// a few times, never sooner than the server's Retry-After; a refusal (4xx: a conflict, a stale
// review, a forbidden change, an ended session) never, since sending it again changes nothing.

export const LOGGED_OUT = "You are logged out: log in again (saved work is kept).";
export const RETRY_DELAY_MS = 3000;
export const SERVER_ERROR_RETRIES = 3;

export class ApiError extends Error {
  constructor(status, detail, code = "", retryAfter = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached
    this.detail = detail;
    this.code = code; // the API's code for the refusals a page tells apart
    this.retryAfter = retryAfter; // seconds, from the Retry-After header (429, 503)
  }

  get isConflict() {
    return this.status === 409;
  }

  // The review changed in another tab or client after the version this change was based on.
  get isStale() {
    return this.status === 409 && this.code === "stale_version";
  }

  get isLoggedOut() {
    return this.status === 401 || this.code === "not_authenticated";
  }

  get isNetwork() {
    return this.status === 0 || this.status >= 500;
  }
}

function cookie(name) {
  const prefix = `${name}=`;
  const entry = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return entry ? decodeURIComponent(entry.slice(prefix.length)) : "";
}

// The server's message: `detail`, else the field errors {"field": ["message", ...]}.
function message(status, body) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") return body.detail;
    const parts = Object.entries(body).map(
      ([field, errors]) => `${field}: ${[].concat(errors).join(" ")}`,
    );
    if (parts.length) return parts.join("; ");
  }
  if (status === 403) return "You are not allowed to do this (are you still logged in?).";
  return `The server answered ${status}.`;
}

// Retry-After in seconds: a number of seconds or an HTTP date; null without one.
function retryAfter(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = /^\d+$/.test(value.trim())
    ? Number(value)
    : (Date.parse(value) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, seconds) : null;
}

/**
 * The API under `root` (the page's data-api-root, ending in "/"): {get, post, put, delete},
 * each resolving to the decoded JSON answer (null for 204 No Content) or rejecting with an
 * ApiError. A request cancelled through `signal` rejects with the browser's AbortError.
 */
export function createApi(root) {
  async function request(method, path, body, { signal } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRFToken"] = cookie("csrftoken");
    let response;
    try {
      response = await fetch(root + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        signal,
        // Changes made just before the page closes still reach the server.
        keepalive: method !== "GET",
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, "The server cannot be reached: check the network.");
    }
    // The API answers JSON; a redirect lands on the log-in page: the session has ended.
    if (response.redirected) {
      throw new ApiError(401, LOGGED_OUT, "not_authenticated");
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const code = typeof data?.code === "string" ? data.code : "";
      const detail = code === "not_authenticated" ? LOGGED_OUT : message(response.status, data);
      throw new ApiError(response.status, detail, code, retryAfter(response));
    }
    return data;
  }

  return {
    get: (path, options) => request("GET", path, undefined, options),
    post: (path, body) => request("POST", path, body ?? {}),
    put: (path, body) => request("PUT", path, body),
    delete: (path) => request("DELETE", path),
  };
}

/**
 * How long to wait before trying a failed request again, in milliseconds, after its
 * `failures`-th failure; null when it is not to be tried again.
 */
export function retryDelay(error, failures) {
  if (!(error instanceof ApiError)) return null;
  const lost = error.status === 0;
  if (!lost && !(error.isNetwork && failures <= SERVER_ERROR_RETRIES)) return null;
  return Math.max(RETRY_DELAY_MS, (error.retryAfter ?? 0) * 1000);
}

export function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Run `attempt()` until it succeeds or fails for good (see `retryDelay`); `onRetry(error)` is
 * told before each wait, so that the page can say it is trying again.
 */
export async function withRetry(attempt, { onRetry = () => {} } = {}) {
  for (let failures = 1; ; failures += 1) {
    try {
      return await attempt();
    } catch (error) {
      const delay = retryDelay(error, failures);
      if (delay === null) throw error;
      onRetry(error);
      await wait(delay);
    }
  }
}
