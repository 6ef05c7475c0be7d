// The review page: one image at a time, keyboard first, every change saved as it is made.
//
// The page holds one task (GET /api/reviews/{id}/ or POST /api/review-sets/{id}/claim/) and
// sends each change through one ordered save queue, so the server sees the changes in the order
// the expert made them. Each change carries the review's version it was based on (the task's,
// then the one the last change answered): when another tab or client changed the review
// meanwhile, the server refuses it (409, "stale_version") and the page reloads what is stored.
// When the session has ended (403, "not_authenticated"), the page says so with a link to log in
// that comes back here, and shows the verdicts that were not saved as such. After a submit it
// claims the next image and swaps it in only once its picture has decoded, in a single frame;
// the time from the key press to that frame is recorded as the performance measure
// "review:next-image". The requests go through the pages' one API client, static/js/api.js.

import { ApiError, createApi, LOGGED_OUT, retryDelay, wait } from "../api.js";
import { createClassSearch } from "./class_search.js";

const app = document.getElementById("review-app");
const api = createApi(app.dataset.apiRoot);
const reviewSetId = Number(app.dataset.reviewSet);
const byId = (id) => document.getElementById(id);

const el = {
  fileName: byId("file-name"),
  status: byId("save-status"),
  message: byId("review-message"),
  messageText: byId("review-message-text"),
  logIn: byId("log-in-link"),
  nextImage: byId("next-image-button"),
  retry: byId("retry-button"),
  task: byId("review-task"),
  viewport: byId("viewport"),
  picture: byId("picture"),
  zoomButton: byId("zoom-button"),
  zoomIn: byId("zoom-in"),
  zoomOut: byId("zoom-out"),
  zoomLevel: byId("zoom-level"),
  originalLink: byId("original-link"),
  facts: byId("picture-facts"),
  standIn: byId("stand-in"),
  originalName: byId("original-name"),
  originalWnid: byId("original-wnid"),
  addOriginal: byId("add-original"),
  reviewState: byId("review-state"),
  judgedCount: byId("judged-count"),
  labels: byId("labels"),
  search: byId("class-search"),
  results: byId("class-results"),
  searchStatus: byId("class-search-status"),
  flags: byId("flags"),
  reasons: [...document.querySelectorAll('#flags input[name="reason"]')],
  note: byId("problem-note"),
  comment: byId("comment"),
  submit: byId("submit-button"),
  submitLabel: byId("submit-label"),
  skip: byId("skip-button"),
  undo: byId("undo-button"),
  back: byId("back-button"),
  help: byId("help"),
  helpButton: byId("help-button"),
  template: byId("label-template"),
};

const VERDICT_KEYS = { c: "correct", w: "wrong", u: "unclear" };
const ONCE_KEYS = new Set(["c", "w", "u", "x", "s", "b", "z", "Enter", "Delete", "Backspace"]);
const TEXT_SAVE_DELAY_MS = 500;
const NEXT_IMAGE_MEASURE = "review:next-image";

// The steps between the submit key and the next picture, as performance measures too.
function phase(name, start) {
  performance.measure(`review:${name}`, { start, end: performance.now() });
}

const state = {
  task: null,
  labels: [], // the task's labels in the order shown, each with its current verdict
  selected: 0,
  undo: [],
  busy: false, // submitting, skipping or loading: keys that change the image wait
  lost: false, // the lease on the image on screen is gone (409), or the session ended
  heldReviewId: null, // the draft this page holds a lease on (renewed while the page is open)
  // The expert's submitted reviews in this set, newest first, for "back" (b).
  past: JSON.parse(byId("previous-reviews").textContent),
  pastPosition: -1, // the index in `past` of the review on screen; -1 for the queue's image
  flags: { reasons: [], note: "" },
};

// The version of each review as the server last answered it; every change sends it.
const versions = new Map();

function noteVersion(reviewId, answer) {
  if (typeof answer?.version === "number") versions.set(reviewId, answer.version);
}

// ---- status line -------------------------------------------------------------------------

function setStatus(kind, text) {
  el.status.dataset.state = kind;
  el.status.textContent = text;
}

function announce(text) {
  setStatus("info", text);
}

// ---- the save queue ----------------------------------------------------------------------

const saver = (() => {
  const queue = []; // {key, reviewId, run}; the head is in flight while `running`
  let running = false;
  let waiting = [];

  function settle() {
    if (queue.length || running) return;
    for (const resolve of waiting) resolve();
    waiting = [];
  }

  async function pump() {
    if (running) return;
    running = true;
    while (queue.length && !state.lost) {
      const op = queue[0];
      op.inFlight = true;
      setStatus("saving", "Saving…");
      try {
        noteVersion(op.reviewId, await op.run(versions.get(op.reviewId)));
        queue.shift();
        // An error the page showed while this save was in flight (a submit refused for a label
        // without a verdict) stays. Text still being typed is not saved yet: the status must
        // not claim it is.
        if (el.status.dataset.state === "error") continue;
        if (!queue.length && !textTimers.size) setStatus("saved", "All changes saved");
        else if (!queue.length) setStatus("editing", "Editing…");
      } catch (error) {
        op.inFlight = false;
        if (!(error instanceof ApiError)) {
          queue.shift();
          setStatus("error", `Not saved: ${error.message}`);
          continue;
        }
        if (error.isLoggedOut) {
          queue.length = 0;
          loggedOut();
          break;
        }
        if (error.isStale) {
          // Changed in another tab: the changes queued after this one were based on the same
          // old state, so they go too; the page shows what is stored.
          queue.length = 0;
          if (state.task && op.reviewId === state.task.id) await reloadChanged();
          continue;
        }
        if (error.isConflict) {
          queue.length = 0;
          if (state.task && op.reviewId === state.task.id) loseLease(error.detail);
          break;
        }
        // Offline: keep trying for as long as it takes. A server error: a few times only
        // (static/js/api.js decides).
        op.failures = (op.failures ?? 0) + 1;
        const delay = retryDelay(error, op.failures);
        if (delay !== null) {
          setStatus("error", `Not saved yet: ${error.detail} Trying again…`);
          await wait(delay);
          continue;
        }
        // The server refused the change (400, 403, 404) or keeps failing: drop it and show
        // what is stored.
        queue.shift();
        setStatus("error", `Not saved: ${error.detail}`);
        if (state.task && op.reviewId === state.task.id) await reload();
      }
    }
    running = false;
    settle();
  }

  return {
    push(op) {
      if (op.key) {
        const queued = queue.findIndex((other) => other.key === op.key && !other.inFlight);
        if (queued >= 0) {
          queue[queued] = op;
          return;
        }
      }
      queue.push(op);
      pump();
    },
    idle() {
      if (!queue.length && !running) return Promise.resolve();
      return new Promise((resolve) => waiting.push(resolve));
    },
    get pending() {
      return queue.length > 0;
    },
    clear() {
      queue.splice(running ? 1 : 0);
    },
  };
})();

function save(op) {
  saver.push({ reviewId: state.task.id, ...op });
}

// ---- time on the image -------------------------------------------------------------------

const clock = { reviewId: null, since: null, spent: new Map() };

function clockStop() {
  if (clock.reviewId !== null && clock.since !== null) {
    const ms = performance.now() - clock.since;
    clock.spent.set(clock.reviewId, (clock.spent.get(clock.reviewId) ?? 0) + ms);
  }
  clock.since = null;
}

function clockStart(reviewId) {
  clockStop();
  clock.reviewId = reviewId;
  clock.since = document.hidden ? null : performance.now();
}

function takeSeconds(reviewId) {
  const running = clock.reviewId === reviewId && clock.since !== null;
  if (running) clockStop();
  const seconds = (clock.spent.get(reviewId) ?? 0) / 1000;
  clock.spent.delete(reviewId);
  if (running) clock.since = performance.now();
  return Math.round(seconds * 10) / 10;
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) clockStop();
  else if (clock.reviewId !== null) clock.since = performance.now();
});

// ---- rendering ---------------------------------------------------------------------------

function urlFor(template, id) {
  return template.replace(/\/0\/$/, `/${id}/`);
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function labelElement(label, position) {
  const item = el.template.content.firstElementChild.cloneNode(true);
  item.dataset.label = label.label;
  item.querySelector(".label-key").textContent = position < 9 ? String(position + 1) : "";
  const name = item.querySelector(".label-name");
  name.textContent = label.name;
  name.href = urlFor(app.dataset.classUrl, label.label);
  name.title = "The class page, in a new tab";
  item.querySelector(".original-badge").hidden = !label.is_original;
  item.querySelector(".added-badge").hidden = !label.added;
  item.querySelector(".label-wnid").textContent = `${label.wnid} · class ${label.label}`;
  const synonyms = (label.names ?? []).slice(1);
  item.querySelector(".label-synonyms").textContent = synonyms.length
    ? `also: ${synonyms.join(", ")}`
    : "";
  item.querySelector(".label-gloss").textContent = label.gloss ?? "";

  const examples = item.querySelector(".examples");
  for (const example of label.examples ?? []) {
    const entry = document.createElement("li");
    const link = document.createElement("a");
    link.href = urlFor(app.dataset.imageUrl, example.number);
    link.target = "_blank";
    link.rel = "noopener";
    const picture = document.createElement("img");
    picture.src = example.thumbnail;
    picture.alt = `Example of ${label.name}: image ${example.number}`;
    picture.loading = "lazy";
    picture.decoding = "async";
    link.append(picture);
    entry.append(link);
    examples.append(entry);
  }
  examples.hidden = !examples.children.length;

  const similar = item.querySelector(".similar-classes");
  for (const other of label.similar ?? []) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chip";
    button.dataset.addClass = other.label;
    button.dataset.wnid = other.wnid;
    button.dataset.name = other.name;
    button.textContent = `+ ${other.name}`;
    button.title = `${other.wnid}: add ${other.name} as a label`;
    button.setAttribute("aria-label", `Add ${other.name} (${other.wnid}) as a label`);
    similar.append(" ", button);
  }
  similar.hidden = !(label.similar ?? []).length;

  const models = item.querySelector(".label-models");
  const proposers = label.proposed_by ?? [];
  models.querySelector("summary").textContent = `${plural(proposers.length, "model")} proposed it`;
  models.querySelector(".models").textContent = proposers.join(", ");
  models.hidden = !proposers.length;

  item.querySelector(".votes").textContent = label.added
    ? "no model proposed it"
    : `${plural(label.top1_votes, "vote")} · ${label.top5_votes} in top 5`;
  item.querySelector(".verdict-buttons").setAttribute("aria-label", `Verdict on ${label.name}`);
  const remove = item.querySelector(".remove-label");
  remove.hidden = !label.added;
  remove.setAttribute("aria-label", `Remove ${label.name}`);
  paintVerdict(item, label);
  return item;
}

function paintVerdict(item, label) {
  item.dataset.verdict = label.verdict || "none";
  for (const button of item.querySelectorAll("button[data-verdict]")) {
    button.setAttribute("aria-pressed", String(button.dataset.verdict === label.verdict));
  }
  const unsaved = item.querySelector(".unsaved");
  unsaved.hidden = !label.unsaved;
  unsaved.textContent = label.unsaved
    ? `${label.unsaved[0].toUpperCase()}${label.unsaved.slice(1)}: not saved`
    : "";
}

function itemOf(label) {
  return el.labels.querySelector(`[data-label="${label.label}"]`);
}

function renderLabels() {
  el.labels.replaceChildren(...state.labels.map(labelElement));
  updateCounts();
}

function updateCounts() {
  const judged = state.labels.filter((label) => label.verdict).length;
  el.judgedCount.textContent = `${judged} of ${state.labels.length} judged`;
  el.undo.disabled = !state.undo.length;
  el.back.disabled = state.pastPosition + 1 >= state.past.length;
  const present = new Set(state.labels.map((label) => label.label));
  el.addOriginal.hidden = !state.task || present.has(state.task.image.original_label);
  for (const chip of el.labels.querySelectorAll("[data-add-class]")) {
    chip.disabled = present.has(Number(chip.dataset.addClass));
  }
}

function select(index, { focus = true } = {}) {
  if (!state.labels.length) return;
  state.selected = Math.max(0, Math.min(index, state.labels.length - 1));
  for (const [position, item] of [...el.labels.children].entries()) {
    const chosen = position === state.selected;
    item.classList.toggle("selected", chosen);
    if (chosen) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");
  }
  const item = el.labels.children[state.selected];
  if (focus) item.focus({ preventScroll: true });
  item.scrollIntoView({ block: "nearest" });
}

function describeState(task) {
  if (task.status === "submitted") {
    return "You submitted this review. Changes are saved as a revision as you make them; Enter takes you on.";
  }
  if (task.leased_until) {
    const until = new Date(task.leased_until);
    return `In progress; this image is kept for you until ${until.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })} and longer while this page is open.`;
  }
  return "In progress.";
}

function setFlags(flags) {
  state.flags = { reasons: [...flags.reasons], note: flags.note };
  for (const box of el.reasons) box.checked = flags.reasons.includes(box.value);
  el.note.value = flags.note;
}

// The task's labels as the page keeps them: each with its verdict on screen and the verdict
// stored (`saved`), so that a change the server never got can be shown as not saved.
function taskLabels(task) {
  return task.labels.map((label) => ({ ...label, saved: label.verdict }));
}

function showTaskState(task) {
  el.reviewState.textContent = describeState(task);
  el.skip.disabled = task.status !== "draft";
  el.submitLabel.textContent = task.status === "draft" ? "Submit" : "Save and go on";
}

// Put a task on screen. The picture is decoded first, and everything is swapped in one go, so
// the previous image stays until the new one can be painted whole.
async function show(task, { startedAt } = {}) {
  const showing = performance.now();
  const image = task.image;
  const picture = new Image();
  picture.id = "picture";
  picture.draggable = false;
  picture.alt = `The picture to review, ${image.file_name}`;
  if (image.width && image.height) {
    picture.width = image.width;
    picture.height = image.height;
  }
  picture.src = image.picture_urls.display;
  // The labels are built while the picture downloads and decodes.
  const items = task.labels.map(labelElement);
  let decoded = true;
  try {
    await picture.decode();
  } catch {
    decoded = false;
  }
  if (startedAt !== undefined) phase("decode", showing);

  zoomReset();
  el.picture.replaceWith(picture);
  el.picture = picture;
  el.viewport.classList.toggle("no-picture", !decoded);
  if (!decoded) picture.alt = `${image.file_name}: the picture could not be loaded`;
  el.originalLink.href = image.picture_urls.original;
  el.fileName.textContent = image.file_name;
  document.title = `${image.file_name} · Review · ImageNet label review`;
  el.facts.textContent = image.width ? `${image.width} × ${image.height} px` : "";
  el.standIn.hidden = !image.is_stand_in;
  el.originalName.textContent = image.original_name;
  el.originalWnid.textContent = `${image.original_wnid} · class ${image.original_label}`;
  el.labels.replaceChildren(...items);
  setFlags({ reasons: task.problem_reasons ?? [], note: task.problem_note ?? "" });
  el.comment.value = task.comment ?? "";
  showTaskState(task);
  classSearch.clear();

  state.task = task;
  state.labels = taskLabels(task);
  versions.set(task.id, task.version);
  state.undo = [];
  state.lost = false;
  hideMessage();
  el.task.hidden = false;
  el.task.inert = false;
  updateCounts();
  const firstOpen = state.labels.findIndex((label) => !label.verdict);
  select(firstOpen >= 0 ? firstOpen : 0);
  if (!state.labels.length) el.viewport.focus({ preventScroll: true });
  clockStart(task.id);
  scheduleRenewal(task);
  if (startedAt !== undefined) {
    requestAnimationFrame(() => {
      performance.measure(NEXT_IMAGE_MEASURE, { start: startedAt, end: performance.now() });
    });
  }
}

// ---- messages ----------------------------------------------------------------------------

function showMessage(text, { next = false, retry = false, logIn = false } = {}) {
  el.messageText.textContent = text;
  el.nextImage.hidden = !next;
  el.retry.hidden = !retry;
  el.logIn.hidden = !logIn;
  el.message.hidden = false;
  if (next) el.nextImage.focus();
  else if (retry) el.retry.focus();
  else if (logIn) el.logIn.focus();
}

function hideMessage() {
  el.message.hidden = true;
}

function loseLease(detail) {
  state.lost = true;
  saver.clear();
  el.task.inert = true;
  setStatus("error", "Not saved: the image is no longer yours");
  showMessage(
    `${detail} Changes made after that were not saved. Go on with the next image.`,
    { next: true },
  );
}

// The session ended (logged out in another tab, or expired): nothing more can be saved. The
// verdicts the server did not get go back to the stored ones and are marked "not saved"; the
// link logs in again and comes back to this review, where the saved work is.
function loggedOut() {
  state.lost = true;
  saver.clear();
  clearTimeout(renewalTimer);
  el.task.inert = true;
  for (const label of state.labels) {
    const stored = label.saved || "";
    if ((label.verdict || "") !== stored) {
      label.unsaved = label.verdict || "";
      label.verdict = stored;
      const item = itemOf(label);
      if (item) paintVerdict(item, label);
    }
  }
  updateCounts();
  setStatus("error", "Not saved: you are logged out");
  const back = `${location.pathname}${location.search}`;
  el.logIn.href = `${app.dataset.loginUrl}?next=${encodeURIComponent(back)}`;
  showMessage(LOGGED_OUT, { logIn: true });
}

function showNothingLeft() {
  state.task = null;
  el.task.hidden = true;
  el.fileName.textContent = "Nothing left to review";
  document.title = "Nothing left · Review · ImageNet label review";
  setStatus("idle", "");
  showMessage(
    "There is no image left for you in this review set: you reviewed every image that still needs a review. Thank you!",
  );
}

function failed(error, retry) {
  if (error instanceof ApiError && error.isLoggedOut) {
    loggedOut();
    return;
  }
  if (error instanceof ApiError && error.isStale) {
    reloadChanged();
    return;
  }
  if (error instanceof ApiError && error.isConflict) {
    loseLease(error.detail);
    return;
  }
  const text = error instanceof ApiError ? error.detail : String(error);
  setStatus("error", text);
  if (retry) {
    showMessage(text, { retry: true });
    el.retry.onclick = () => {
      hideMessage();
      retry();
    };
  }
}

// ---- loading images ----------------------------------------------------------------------

async function claimNext({ startedAt } = {}) {
  const claiming = performance.now();
  const task = await api.post(`review-sets/${reviewSetId}/claim/`);
  if (startedAt !== undefined) phase("claim", claiming);
  state.pastPosition = -1;
  if (!task) {
    state.heldReviewId = null;
    showNothingLeft();
  } else {
    state.heldReviewId = task.id;
    await show(task, { startedAt });
  }
  history.replaceState(null, "", app.dataset.queueUrl);
}

async function open(reviewId) {
  const task = await api.get(`reviews/${reviewId}/`);
  if (task.status === "draft") {
    state.heldReviewId = task.id;
    const renewed = await api.post(`reviews/${task.id}/renew/`).catch((error) => error);
    await show(task);
    if (renewed instanceof ApiError) failed(renewed);
  } else {
    await show(task);
  }
  state.pastPosition = state.past.indexOf(task.id);
  updateCounts();
  history.replaceState(null, "", urlFor(app.dataset.reopenUrl, task.id));
}

// After a refused change: show what the server holds for the review on screen. Returns
// whether it could.
async function reload() {
  if (!state.task) return false;
  const selected = state.selected;
  try {
    const task = await api.get(`reviews/${state.task.id}/`);
    state.labels = taskLabels(task);
    state.task = task;
    versions.set(task.id, task.version);
    state.undo = []; // what undo would restore was never stored
    renderLabels();
    setFlags({ reasons: task.problem_reasons, note: task.problem_note });
    if (!textTimers.has(el.comment)) el.comment.value = task.comment ?? "";
    showTaskState(task);
    select(selected, { focus: false });
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.isLoggedOut) loggedOut();
    // Otherwise the status line already says what went wrong.
    return false;
  }
}

// The review changed in another tab (or through another client) after what this page showed:
// its change was refused, and the page shows what is stored instead.
async function reloadChanged() {
  if (await reload()) setStatus("error", "This review was changed in another tab: reloaded");
}

// ---- the lease ---------------------------------------------------------------------------

let renewalTimer = null;

function scheduleRenewal(task) {
  clearTimeout(renewalTimer);
  const leasedUntil = task?.leased_until ? Date.parse(task.leased_until) : null;
  const left = leasedUntil ? leasedUntil - Date.now() : 30 * 60 * 1000;
  // A third of what is left, so that a missed renewal or two still leave time; at most 5 min.
  const delay = Math.max(15_000, Math.min(5 * 60 * 1000, left / 3));
  renewalTimer = setTimeout(renew, delay);
}

async function renew() {
  const reviewId = state.heldReviewId;
  if (reviewId === null) return;
  try {
    const lease = await api.post(`reviews/${reviewId}/renew/`);
    scheduleRenewal(lease);
  } catch (error) {
    if (error instanceof ApiError && error.isLoggedOut) {
      loggedOut();
    } else if (error instanceof ApiError && error.isConflict) {
      state.heldReviewId = null;
      if (state.task?.id === reviewId) loseLease(error.detail);
    } else {
      scheduleRenewal(null);
    }
  }
}

// ---- changes -----------------------------------------------------------------------------

function labelByIndex(index) {
  return state.labels.find((label) => label.label === Number(index));
}

function pushUndo(action) {
  state.undo.push(action);
  el.undo.disabled = false;
}

// Set verdicts {class index: value}; returns whether anything changed.
function setVerdicts(changes, { record = true } = {}) {
  const before = {};
  const after = {};
  for (const [index, value] of Object.entries(changes)) {
    const label = labelByIndex(index);
    if (!label || (label.verdict || "") === value) continue;
    before[index] = label.verdict || "";
    after[index] = value;
    label.verdict = value;
    paintVerdict(itemOf(label), label);
  }
  if (!Object.keys(after).length) return false;
  if (record) pushUndo({ type: "verdicts", before, after });
  const reviewId = state.task.id;
  save({
    run: async (version) => {
      const answer = await api.put(`reviews/${reviewId}/verdicts/`, { verdicts: after, version });
      if (state.task?.id === reviewId) {
        for (const label of state.labels) {
          const stored = answer.verdicts[String(label.label)];
          if (stored !== undefined) label.saved = stored;
        }
      }
      return answer;
    },
  });
  updateCounts();
  return true;
}

function judge(value) {
  const label = state.labels[state.selected];
  if (!label) return;
  setVerdicts({ [label.label]: value });
  if (state.selected < state.labels.length - 1) select(state.selected + 1);
}

function judgeRemainingWrong() {
  const open = state.labels.filter((label) => !label.verdict);
  if (!open.length) {
    announce("Every label has a verdict already.");
    return;
  }
  setVerdicts(Object.fromEntries(open.map((label) => [label.label, "wrong"])));
  announce(`${plural(open.length, "label")} marked wrong.`);
}

function addClass(choice, { record = true, restore = null } = {}) {
  const index = Number(choice.index);
  const existing = state.labels.findIndex((label) => label.label === index);
  if (existing >= 0) {
    select(existing);
    announce(`${choice.name} is already a label.`);
    return;
  }
  const label = restore ?? {
    label: index,
    wnid: choice.wnid,
    name: choice.name,
    names: choice.names ?? [choice.name],
    gloss: choice.gloss ?? "",
    top1_votes: 0,
    top5_votes: 0,
    proposed_by: [],
    is_original: index === state.task.image.original_label,
    added: true,
    verdict: "",
    examples: [],
    similar: [],
  };
  const position = restore?.position ?? state.labels.length;
  state.labels.splice(position, 0, { ...label, verdict: "", saved: "", unsaved: "" });
  renderLabels();
  select(position);
  if (record) pushUndo({ type: "add", label: index });
  const reviewId = state.task.id;
  save({
    run: async (version) => {
      const created = await api.post(`reviews/${reviewId}/labels/`, { label: index, version });
      // The server's copy brings the examples and similar classes.
      const current = state.task?.id === reviewId ? labelByIndex(index) : null;
      if (current && created) {
        Object.assign(current, { ...created, verdict: current.verdict });
        const item = itemOf(current);
        const fresh = labelElement(current, state.labels.indexOf(current));
        fresh.className = item.className;
        for (const name of ["aria-current"]) {
          if (item.hasAttribute(name)) fresh.setAttribute(name, item.getAttribute(name));
        }
        const hadFocus = item.contains(document.activeElement);
        item.replaceWith(fresh);
        if (hadFocus) fresh.focus({ preventScroll: true });
        updateCounts();
      }
      return created;
    },
  });
  if (restore?.verdict) setVerdicts({ [index]: restore.verdict }, { record: false });
  if (!restore) announce(`Added ${label.name}: judge it with c, w or u.`);
}

function removeLabel(position, { record = true } = {}) {
  const label = state.labels[position];
  if (!label) return;
  if (!label.added) {
    announce(`${label.name} was proposed by the models: judge it instead of removing it.`);
    return;
  }
  state.labels.splice(position, 1);
  renderLabels();
  if (state.labels.length) select(Math.min(position, state.labels.length - 1));
  if (record) pushUndo({ type: "remove", label: { ...label, position } });
  const reviewId = state.task.id;
  save({
    run: (version) =>
      api.delete(
        `reviews/${reviewId}/labels/${label.label}/${version === undefined ? "" : `?version=${version}`}`,
      ),
  });
  announce(`Removed ${label.name}.`);
}

function readFlags() {
  return {
    reasons: el.reasons.filter((box) => box.checked).map((box) => box.value),
    note: el.note.value,
  };
}

function saveFlags({ record = true } = {}) {
  const flags = readFlags();
  const changedReasons = flags.reasons.join() !== state.flags.reasons.join();
  if (record && changedReasons) pushUndo({ type: "flags", before: state.flags.reasons });
  state.flags = flags;
  const reviewId = state.task.id;
  save({
    key: `flags:${reviewId}`,
    run: (version) => api.put(`reviews/${reviewId}/flags/`, { ...flags, version }),
  });
}

function saveComment() {
  const comment = el.comment.value;
  const reviewId = state.task.id;
  save({
    key: `comment:${reviewId}`,
    run: (version) => api.put(`reviews/${reviewId}/comment/`, { comment, version }),
  });
}

// Text is saved a moment after typing stops, and at once when the field is left.
const textTimers = new Map();

function textChanged(field, saveNow) {
  clearTimeout(textTimers.get(field));
  setStatus("editing", "Editing…");
  textTimers.set(
    field,
    setTimeout(() => {
      textTimers.delete(field);
      saveNow();
    }, TEXT_SAVE_DELAY_MS),
  );
}

function flushText() {
  for (const [field, timer] of textTimers) {
    clearTimeout(timer);
    textTimers.delete(field);
    if (field === el.note) saveFlags({ record: false });
    else saveComment();
  }
}

function undo() {
  const action = state.undo.pop();
  if (!action) {
    announce("Nothing to undo.");
    return;
  }
  if (action.type === "verdicts") {
    setVerdicts(action.before, { record: false });
    const first = state.labels.findIndex((label) => String(label.label) in action.before);
    if (first >= 0) select(first);
    announce("Undone: the verdict is back as it was.");
  } else if (action.type === "add") {
    const position = state.labels.findIndex((label) => label.label === action.label);
    if (position >= 0) removeLabel(position, { record: false });
    announce("Undone: the added class is removed.");
  } else if (action.type === "remove") {
    addClass({ index: action.label.label }, { record: false, restore: action.label });
    announce(`Undone: ${action.label.name} is back.`);
  } else if (action.type === "flags") {
    for (const box of el.reasons) box.checked = action.before.includes(box.value);
    saveFlags({ record: false });
    announce("Undone: the flags are back as they were.");
  }
  updateCounts();
}

// ---- moving between images ---------------------------------------------------------------

async function leaving() {
  flushText();
  await saver.idle();
  return !state.lost;
}

async function submit(startedAt) {
  if (state.busy || !state.task || state.lost) return;
  const missing = state.labels.findIndex((label) => !label.verdict);
  if (missing >= 0) {
    select(missing);
    setStatus(
      "error",
      `Judge every label first: ${state.labels[missing].name} has no verdict yet.`,
    );
    return;
  }
  state.busy = true;
  el.submit.disabled = true;
  setStatus("saving", "Submitting…");
  const task = state.task;
  try {
    if (!(await leaving())) return;
    const seconds = takeSeconds(task.id);
    const submitting = performance.now();
    const done = await api.post(`reviews/${task.id}/submit/`, {
      seconds_spent: seconds,
      version: versions.get(task.id),
    });
    noteVersion(task.id, done);
    phase("submit", submitting);
    if (task.status === "draft") {
      state.past = [task.id, ...state.past.filter((id) => id !== task.id)];
      if (state.heldReviewId === task.id) state.heldReviewId = null;
    }
    await claimNext({ startedAt });
    if (state.task) setStatus("saved", `Submitted ${task.image.file_name}`);
  } catch (error) {
    failed(error, () => submit());
  } finally {
    state.busy = false;
    el.submit.disabled = false;
  }
}

async function skip() {
  if (state.busy || !state.task || state.lost) return;
  if (state.task.status !== "draft") {
    announce("A submitted review cannot be skipped: press Enter to go on.");
    return;
  }
  state.busy = true;
  const task = state.task;
  try {
    if (!(await leaving())) return;
    noteVersion(
      task.id,
      await api.post(`reviews/${task.id}/skip/`, { version: versions.get(task.id) }),
    );
    if (state.heldReviewId === task.id) state.heldReviewId = null;
    await claimNext();
    if (state.task) setStatus("saved", `Skipped ${task.image.file_name}`);
  } catch (error) {
    failed(error, () => skip());
  } finally {
    state.busy = false;
  }
}

async function back() {
  if (state.busy) return;
  const position = state.pastPosition + 1;
  if (position >= state.past.length) {
    announce("There is no earlier image of yours in this set.");
    return;
  }
  state.busy = true;
  try {
    if (state.task && !state.lost && !(await leaving())) return;
    clockStop();
    await open(state.past[position]);
    state.pastPosition = position;
    updateCounts();
    announce(`Back to ${state.task.image.file_name}: change it, then Enter to go on.`);
  } catch (error) {
    failed(error);
  } finally {
    state.busy = false;
  }
}

async function nextImage() {
  if (state.busy) return;
  state.busy = true;
  hideMessage();
  try {
    await claimNext();
  } catch (error) {
    failed(error, () => nextImage());
  } finally {
    state.busy = false;
  }
}

// ---- zoom and pan ------------------------------------------------------------------------

const zoom = { on: false, scale: 1 };
const ZOOM_STEP = 1.5;

function naturalSize() {
  const image = state.task?.image;
  return {
    width: image?.width || el.picture.naturalWidth || 1,
    height: image?.height || el.picture.naturalHeight || 1,
  };
}

function applyZoom(focus) {
  const { width, height } = naturalSize();
  const viewport = el.viewport;
  // Keep the point under `focus` (fractions of the picture) in the middle of the viewport.
  el.picture.style.width = `${Math.round(width * zoom.scale)}px`;
  el.picture.style.height = `${Math.round(height * zoom.scale)}px`;
  viewport.scrollLeft = focus.x * width * zoom.scale - viewport.clientWidth / 2;
  viewport.scrollTop = focus.y * height * zoom.scale - viewport.clientHeight / 2;
  el.zoomLevel.textContent = `${Math.round(zoom.scale * 100)} % of full resolution`;
}

function currentFocus() {
  const { width, height } = naturalSize();
  const viewport = el.viewport;
  return {
    x: (viewport.scrollLeft + viewport.clientWidth / 2) / (width * zoom.scale),
    y: (viewport.scrollTop + viewport.clientHeight / 2) / (height * zoom.scale),
  };
}

function zoomIn(focus = { x: 0.5, y: 0.5 }) {
  if (!state.task) return;
  const { width } = naturalSize();
  const fitted = el.picture.clientWidth || width;
  // Full resolution, or twice the fitted size for pictures smaller than the column.
  zoom.scale = Math.max(1, (2 * fitted) / width);
  zoom.on = true;
  const original = state.task.image.picture_urls.original;
  if (!el.picture.src.endsWith(original)) el.picture.src = original;
  el.viewport.classList.add("zoomed");
  el.zoomButton.setAttribute("aria-pressed", "true");
  el.zoomIn.hidden = el.zoomOut.hidden = false;
  applyZoom(focus);
}

function zoomReset() {
  zoom.on = false;
  zoom.scale = 1;
  el.viewport.classList.remove("zoomed");
  el.picture.style.width = el.picture.style.height = "";
  el.zoomButton.setAttribute("aria-pressed", "false");
  el.zoomIn.hidden = el.zoomOut.hidden = true;
  el.zoomLevel.textContent = "";
}

function zoomToggle() {
  if (zoom.on) zoomReset();
  else zoomIn();
}

function zoomBy(factor) {
  if (!zoom.on) {
    zoomIn();
    return;
  }
  const focus = currentFocus();
  zoom.scale = Math.max(0.25, Math.min(8, zoom.scale * factor));
  applyZoom(focus);
}

// Drag to pan; a click without a drag zooms in at that point, or back out.
const drag = { id: null, x: 0, y: 0, left: 0, top: 0, moved: false };

el.viewport.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  Object.assign(drag, {
    id: event.pointerId,
    x: event.clientX,
    y: event.clientY,
    left: el.viewport.scrollLeft,
    top: el.viewport.scrollTop,
    moved: false,
  });
  el.viewport.setPointerCapture(event.pointerId);
});

el.viewport.addEventListener("pointermove", (event) => {
  if (event.pointerId !== drag.id) return;
  const dx = event.clientX - drag.x;
  const dy = event.clientY - drag.y;
  if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
  if (zoom.on && drag.moved) {
    el.viewport.classList.add("panning");
    el.viewport.scrollLeft = drag.left - dx;
    el.viewport.scrollTop = drag.top - dy;
  }
});

el.viewport.addEventListener("pointerup", (event) => {
  if (event.pointerId !== drag.id) return;
  drag.id = null;
  el.viewport.classList.remove("panning");
  if (drag.moved) return;
  if (zoom.on) {
    zoomReset();
  } else {
    const box = el.picture.getBoundingClientRect();
    zoomIn({
      x: Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)),
      y: Math.min(1, Math.max(0, (event.clientY - box.top) / box.height)),
    });
  }
});

el.zoomButton.addEventListener("click", zoomToggle);
el.zoomIn.addEventListener("click", () => zoomBy(ZOOM_STEP));
el.zoomOut.addEventListener("click", () => zoomBy(1 / ZOOM_STEP));

// ---- class search (static/js/reviews/class_search.js) -------------------------------------

const classSearch = createClassSearch({
  input: el.search,
  results: el.results,
  status: el.searchStatus,
  find: (query, options) => api.get(`classes/?q=${encodeURIComponent(query)}`, options),
  taken: (choice) =>
    state.labels.some((label) => label.label === choice.index) ? "already a label" : "",
  onTaken: (choice) => announce(`${choice.name} is already a label.`),
  onChoose: (choice) => addClass(choice),
  onEscape: () => select(state.selected),
});

// ---- pointer input on the labels, flags and buttons ----------------------------------------

el.labels.addEventListener("click", (event) => {
  const item = event.target.closest("li.label");
  if (!item || state.busy) return;
  const position = [...el.labels.children].indexOf(item);
  const verdictButton = event.target.closest("button[data-verdict]");
  const chip = event.target.closest("[data-add-class]");
  if (verdictButton) {
    select(position, { focus: false });
    const label = state.labels[position];
    const value = verdictButton.dataset.verdict;
    setVerdicts({ [label.label]: label.verdict === value ? "" : value });
    // Focus leaves the button so that Enter submits rather than pressing it again.
    item.focus({ preventScroll: true });
  } else if (chip) {
    addClass({
      index: Number(chip.dataset.addClass),
      wnid: chip.dataset.wnid,
      name: chip.dataset.name,
    });
  } else if (event.target.closest(".remove-label")) {
    removeLabel(position);
  } else if (!event.target.closest("a, summary, button")) {
    select(position);
  }
});

for (const box of el.reasons) box.addEventListener("change", () => saveFlags());
el.note.addEventListener("input", () => textChanged(el.note, () => saveFlags({ record: false })));
el.comment.addEventListener("input", () => textChanged(el.comment, saveComment));
for (const field of [el.note, el.comment]) field.addEventListener("blur", flushText);

el.submit.addEventListener("click", (event) => submit(event.timeStamp));
el.skip.addEventListener("click", () => skip());
el.undo.addEventListener("click", () => undo());
el.back.addEventListener("click", () => back());
el.nextImage.addEventListener("click", () => nextImage());
el.helpButton.addEventListener("click", () => el.help.showModal());
el.addOriginal.addEventListener("click", () => {
  const image = state.task.image;
  addClass({ index: image.original_label, wnid: image.original_wnid, name: image.original_name });
});

// ---- the keyboard ------------------------------------------------------------------------

function isTyping(target) {
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }
  return Boolean(target?.isContentEditable);
}

function onKeyDown(event) {
  if (el.help.open) {
    if (event.key === "?") {
      event.preventDefault();
      el.help.close();
    }
    return;
  }
  const target = event.target;
  if (isTyping(target)) {
    if (event.key === "Escape") {
      event.preventDefault();
      target.blur();
      select(state.selected);
    }
    return;
  }
  if (event.ctrlKey || event.metaKey) {
    if (event.key.toLowerCase() === "z" && !event.shiftKey) {
      event.preventDefault();
      if (state.task && !state.lost) undo();
    }
    return;
  }
  if (event.altKey) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;

  if (event.key === "?") {
    event.preventDefault();
    el.help.showModal();
    return;
  }
  // A held key repeats: fine for moving through the labels, not for judging or submitting.
  if (event.repeat && ONCE_KEYS.has(key)) {
    event.preventDefault();
    return;
  }
  if (key === "b" && !state.busy) {
    event.preventDefault();
    back(); // also from the "nothing left" screen or after a lost lease
    return;
  }
  // While the next image loads, keys would act on the one being left: they wait.
  if (!state.task || state.lost || state.busy) return;
  // On the zoomed picture the arrow keys pan (the browser scrolls it).
  const panning = target === el.viewport && zoom.on && event.key.startsWith("Arrow");
  if (panning) return;
  const native = target.closest?.("button, a, summary, dialog");

  let handled = true;
  if (/^[1-9]$/.test(key)) {
    const position = Number(key) - 1;
    if (position < state.labels.length) select(position);
  } else if (key === "ArrowDown" || key === "j") {
    select(state.selected + 1);
  } else if (key === "ArrowUp" || key === "k") {
    select(state.selected - 1);
  } else if (key === "w" && event.shiftKey) {
    judgeRemainingWrong();
  } else if (key in VERDICT_KEYS && !event.shiftKey) {
    judge(VERDICT_KEYS[key]);
  } else if (key === "x") {
    const label = state.labels[state.selected];
    if (label) setVerdicts({ [label.label]: "" });
  } else if (key === "m") {
    const details = el.labels.children[state.selected]?.querySelector(".label-models");
    if (details && !details.hidden) details.open = !details.open;
  } else if (key === "/") {
    el.search.focus();
    el.search.select();
  } else if (key === "Delete") {
    removeLabel(state.selected);
  } else if (key === "f") {
    el.reasons[0]?.focus();
  } else if (key === "n") {
    el.comment.focus();
  } else if (key === "z") {
    zoomToggle();
  } else if (key === "+" || key === "=") {
    zoomBy(ZOOM_STEP);
  } else if (key === "-") {
    zoomBy(1 / ZOOM_STEP);
  } else if (key === "Enter") {
    if (native) return; // Enter presses the focused button or follows the focused link
    submit(event.timeStamp);
  } else if (key === "s") {
    skip();
  } else if (key === "Backspace") {
    undo();
  } else {
    handled = false;
  }
  if (handled) event.preventDefault();
}

document.addEventListener("keydown", onKeyDown);

// Changes typed just before the page closes are still sent (the requests use keepalive).
window.addEventListener("pagehide", flushText);
window.addEventListener("beforeunload", (event) => {
  if (saver.pending || textTimers.size) {
    flushText();
    event.preventDefault();
  }
});

// ---- start -------------------------------------------------------------------------------

async function start() {
  state.busy = true;
  try {
    if (app.dataset.review) await open(Number(app.dataset.review));
    else await claimNext();
  } catch (error) {
    el.fileName.textContent = "The image could not be loaded";
    failed(error, () => start());
  } finally {
    state.busy = false;
  }
}

start();
