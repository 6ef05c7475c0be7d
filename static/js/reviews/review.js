// The review page: one image at a time, keyboard first, every change saved as it is made.
//
// The page holds one task (GET /api/reviews/{id}/ or POST /api/review-sets/{id}/claim/) and
// sends each change through one ordered save queue, so the server sees the changes in the order
// the expert made them. Each change carries the review's version it was based on (the task's,
// then the one the last change answered): when another tab or client changed the review
// meanwhile, the server refuses it (409, "stale_version") and the page reloads what is stored.
// When the session has ended (403, "not_authenticated"), the page says so with a link to log in
// that comes back here, and shows the verdicts that were not saved as such.
//
// The next image is ready before it is asked for: while the expert works on one image, the page
// claims the next one ahead (POST claim/ {"ahead": true}: the server leases it, within the set's
// overlap, and hands back the same one if asked again), builds its label rows and decodes its
// picture. Submitting then only swaps it in, in one frame, and the submit request joins the save
// queue behind the changes before it: if it fails, the page says so and offers the image again
// with the verdicts it had. Leaving the page hands the image claimed ahead back (DELETE, sent
// with keepalive), so that it goes to the next expert at once; otherwise its lease lapses. The
// time from the submit key to the frame with the next picture is the performance measure
// "review:next-image". The requests go through the pages' one API client, static/js/api.js.

import { ApiError, createApi, LOGGED_OUT, retryDelay, wait } from "../api.js";
import { createZoom, ZOOM_STEP } from "../zoom.js";
import { createClassSearch } from "./class_search.js";

const app = document.getElementById("review-app");
const api = createApi(app.dataset.apiRoot);
const reviewSetId = Number(app.dataset.reviewSet);
const byId = (id) => document.getElementById(id);

const el = {
  fileName: byId("file-name"),
  reviewState: byId("review-state"),
  back: byId("back-button"),
  helpButton: byId("help-button"),
  help: byId("help"),
  message: byId("review-message"),
  messageText: byId("review-message-text"),
  nextImage: byId("next-image-button"),
  retry: byId("retry-button"),
  reopen: byId("reopen-button"),
  logIn: byId("log-in-link"),
  task: byId("review-task"),
  viewport: byId("viewport"),
  picture: byId("picture"),
  zoomButton: byId("zoom-button"),
  zoomIn: byId("zoom-in"),
  zoomOut: byId("zoom-out"),
  zoomLevel: byId("zoom-level"),
  facts: byId("picture-facts"),
  originalLink: byId("original-link"),
  standIn: byId("stand-in"),
  details: byId("label-details"),
  detailsHome: byId("label-details").parentElement,
  detailsName: byId("details-name"),
  detailsWnid: byId("details-wnid"),
  detailsSynonyms: byId("details-synonyms"),
  detailsGloss: byId("details-gloss"),
  detailsVotes: byId("details-votes"),
  detailsExamples: byId("details-examples"),
  detailsSimilar: byId("details-similar"),
  detailsModels: byId("details-models"),
  removeLabel: byId("remove-label"),
  labelCount: byId("label-count"),
  labels: byId("labels"),
  searchBox: byId("class-search-box"),
  search: byId("class-search"),
  results: byId("class-results"),
  searchStatus: byId("class-search-status"),
  flags: byId("flags"),
  reasons: [...document.querySelectorAll('#flags input[name="reason"]')],
  note: byId("problem-note"),
  comment: byId("comment"),
  leaseWarning: byId("lease-warning"),
  barFile: byId("bar-file"),
  originalName: byId("original-name"),
  originalWnid: byId("original-wnid"),
  addOriginal: byId("add-original"),
  judgedCount: byId("judged-count"),
  status: byId("save-status"),
  undo: byId("undo-button"),
  skip: byId("skip-button"),
  submit: byId("submit-button"),
  submitLabel: byId("submit-label"),
  goOn: byId("go-on-button"),
  template: byId("label-template"),
};

const VERDICT_KEYS = { c: "correct", w: "wrong", u: "unclear" };
const ONCE_KEYS = new Set(["c", "w", "u", "x", "s", "b", "z", "Enter", "Delete", "Backspace"]);
// The keys that change a review: a read-only (frozen) review refuses them.
const CHANGE_KEYS = new Set(["c", "w", "u", "x", "s", "Delete", "Backspace"]);
const TEXT_SAVE_DELAY_MS = 500;
const NEXT_IMAGE_MEASURE = "review:next-image";
// Where the label details go into the label's row instead of beside the picture (as in CSS).
const NARROW = window.matchMedia("(max-width: 900px)");

// The steps between the submit key and the next picture, as performance measures too.
function phase(name, start) {
  performance.measure(`review:${name}`, { start, end: performance.now() });
}

const state = {
  task: null,
  labels: [], // the task's labels in the order shown, each with its current verdict
  selected: 0,
  undo: [],
  busy: false, // skipping or loading: keys that change the image wait
  lost: false, // the lease on the image on screen is gone (409), or the session ended
  loggedOut: false,
  heldReviewId: null, // the draft this page holds a lease on (renewed while the page is open)
  heldFile: "", // its file name, for the lease warning
  // The expert's submitted reviews in this set, newest first, for "back" (b).
  past: JSON.parse(byId("previous-reviews").textContent),
  pastPosition: -1, // the index in `past` of the review on screen; -1 for the queue's image
  flags: { reasons: [], note: "" },
  lostFile: "", // the image whose lease was lost, for the message when nothing is left
  failedSubmit: null, // {id, fileName, verdicts} of a submit that failed after the page moved on
  submitting: Promise.resolve(true), // the latest submit in the save queue
  detailsOpen: false, // narrow screens: the selected label's details unfolded in its row
  messageKind: "",
};

// The version of each review as the server last answered it; every change sends it.
const versions = new Map();

function noteVersion(reviewId, answer) {
  if (typeof answer?.version === "number") versions.set(reviewId, answer.version);
}

function readOnly() {
  return Boolean(state.task?.frozen_by);
}

// ---- status line -------------------------------------------------------------------------

// The status line says what the save queue is doing, unless it says something the expert must
// read about the image on screen (a notice: a submit refused for a label without a verdict, a key
// that did nothing, an error). The queue's progress ("Saving…", "Submitted …", "All changes
// saved") then does not replace it, even when it comes from a change made before (the previous
// image's submit, sent in the background): it stays until the expert changes something or
// another image is shown.
const status = { notice: false };

function setStatus(kind, text, { notice = kind === "error" } = {}) {
  status.notice = notice;
  el.status.dataset.state = kind;
  el.status.textContent = text;
}

// The save queue's progress: shown unless a notice is.
function progress(kind, text) {
  if (!status.notice) setStatus(kind, text, { notice: false });
}

// A notice: nothing changed (a refused key), or what the expert must know to go on.
function announce(text) {
  setStatus("info", text, { notice: true });
}

// What a change just made did; the queue's progress on it follows.
function announceChange(text) {
  setStatus("info", text, { notice: false });
}

// ---- the save queue ----------------------------------------------------------------------

// Each change is an op {reviewId, run(version), key?, savingText?, savedText?, done?(answer),
// failed?(error)}; ops with the same key replace one another while queued (typed text).
const saver = (() => {
  const queue = []; // the head is in flight while `running`
  let running = false;
  let waiting = [];

  function settle() {
    if (queue.length || running) return;
    for (const resolve of waiting) resolve();
    waiting = [];
  }

  // Drop the queued changes of one review (all when `reviewId` is null), not the one in flight:
  // the server refused one they were based on.
  function drop(reviewId, error) {
    for (let at = queue.length - 1; at >= 0; at -= 1) {
      const op = queue[at];
      if (op.inFlight || (reviewId !== null && op.reviewId !== reviewId)) continue;
      queue.splice(at, 1);
      op.failed?.(error);
    }
  }

  async function pump() {
    if (running) return;
    running = true;
    while (queue.length && !state.loggedOut) {
      const op = queue[0];
      op.inFlight = true;
      progress("saving", op.savingText ?? "Saving…");
      try {
        const answer = await op.run(versions.get(op.reviewId));
        noteVersion(op.reviewId, answer);
        queue.shift();
        op.done?.(answer);
        // A notice the page showed while this save was in flight (a submit refused for a label
        // without a verdict) stays (see progress()). Text still being typed is not saved yet:
        // the status must not claim it is.
        if (!queue.length && !textTimers.size) {
          progress("saved", op.savedText ?? "All changes saved");
        }
        else if (!queue.length) progress("editing", "Editing…");
      } catch (error) {
        op.inFlight = false;
        const onScreen = Boolean(state.task) && op.reviewId === state.task.id;
        if (!(error instanceof ApiError)) {
          queue.shift();
          op.failed?.(error);
          setStatus("error", `Not saved: ${error.message}`);
          continue;
        }
        if (error.isLoggedOut) {
          queue.shift();
          op.failed?.(error);
          drop(null, error);
          loggedOut();
          break;
        }
        if (error.isStale) {
          // Changed in another tab: the changes queued after this one were based on the same
          // old state, so they go too; the page shows what is stored.
          queue.shift();
          op.failed?.(error);
          drop(op.reviewId, error);
          if (onScreen) await reloadChanged();
          continue;
        }
        if (error.isConflict || (error.status === 404 && onScreen)) {
          // The lease is gone (or the review, handed back from another tab).
          queue.shift();
          op.failed?.(error);
          drop(op.reviewId, error);
          const detail = error.status === 404 ? "This image is no longer yours." : error.detail;
          if (onScreen) loseLease(detail);
          continue;
        }
        // Offline: keep trying for as long as it takes. A server error: a few times only
        // (static/js/api.js decides).
        op.failures = (op.failures ?? 0) + 1;
        const delay = retryDelay(error, op.failures);
        if (delay !== null) {
          setStatus("error", `Not saved yet: ${error.detail} Trying again…`, { notice: false });
          await wait(delay);
          continue;
        }
        // The server refused the change (400, 403, 404) or keeps failing: drop it and show
        // what is stored.
        queue.shift();
        setStatus("error", `Not saved: ${error.detail}`);
        op.failed?.(error);
        if (onScreen) await reload();
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
    drop,
  };
})();

// A change the expert made on the image on screen: a notice shown before gave way to it.
function save(op) {
  if (status.notice) setStatus("saving", "Saving…", { notice: false });
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

function clockTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// One compact row: key, name, badges, votes, verdict buttons. The rest of what is known about
// the label shows in the details panel while it is selected.
function labelElement(label, position) {
  const item = el.template.content.firstElementChild.cloneNode(true);
  item.dataset.label = label.label;
  item.querySelector(".label-key").textContent = position < 9 ? String(position + 1) : "";
  const name = item.querySelector(".label-name");
  name.textContent = label.name;
  name.href = urlFor(app.dataset.classUrl, label.label);
  name.title = `${label.wnid} · class ${label.label}: the class page, in a new tab`;
  item.querySelector(".original-badge").hidden = !label.is_original;
  item.querySelector(".added-badge").hidden = !label.added;
  const votes = item.querySelector(".votes");
  votes.textContent = label.added ? "" : plural(label.top1_votes, "vote");
  votes.title = label.added
    ? ""
    : `${plural(label.top1_votes, "model")} rank it first; ${label.top5_votes} have it in their top 5`;
  item.querySelector(".details-toggle").setAttribute("aria-label", `About ${label.name}`);
  item.querySelector(".verdict-buttons").setAttribute("aria-label", `Verdict on ${label.name}`);
  paintVerdict(item, label);
  return item;
}

function paintVerdict(item, label) {
  item.dataset.verdict = label.verdict || "none";
  for (const button of item.querySelectorAll("button[data-verdict]")) {
    button.setAttribute("aria-pressed", String(button.dataset.verdict === label.verdict));
    button.disabled = readOnly();
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
  placeDetails();
}

// The selected label's details: gloss, synonyms, votes, example pictures, similar classes to
// add with one click, the models that proposed it.
function renderDetails() {
  const label = state.labels[state.selected];
  if (!label) return;
  el.detailsName.textContent = label.name;
  el.detailsWnid.textContent = `${label.wnid} · class ${label.label}`;
  const synonyms = (label.names ?? []).slice(1);
  el.detailsSynonyms.textContent = synonyms.length ? `also: ${synonyms.join(", ")}` : "";
  el.detailsSynonyms.hidden = !synonyms.length;
  el.detailsGloss.textContent = label.gloss ?? "";
  el.detailsGloss.hidden = !label.gloss;
  el.detailsVotes.textContent = label.added
    ? "You added this class: no model proposed it."
    : `${plural(label.top1_votes, "model")} rank it first; ${label.top5_votes} have it in their top 5.`;

  const examples = (label.examples ?? []).map((example) => {
    const entry = document.createElement("li");
    const link = document.createElement("a");
    link.href = urlFor(app.dataset.imageUrl, example.number);
    link.target = "_blank";
    link.rel = "noopener";
    const picture = document.createElement("img");
    picture.src = example.thumbnail;
    picture.alt = `Example of ${label.name}: image ${example.number}`;
    picture.decoding = "async";
    link.append(picture);
    entry.append(link);
    return entry;
  });
  el.detailsExamples.replaceChildren(...examples);
  el.detailsExamples.hidden = !examples.length;

  const chips = (label.similar ?? []).map((other) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chip";
    button.dataset.addClass = other.label;
    button.dataset.wnid = other.wnid;
    button.dataset.name = other.name;
    button.textContent = `+ ${other.name}`;
    button.title = `${other.wnid}: add ${other.name} as a label`;
    button.setAttribute("aria-label", `Add ${other.name} (${other.wnid}) as a label`);
    return button;
  });
  el.detailsSimilar.replaceChildren(el.detailsSimilar.firstElementChild, ...chips);
  el.detailsSimilar.hidden = !chips.length || readOnly();

  const proposers = label.proposed_by ?? [];
  el.detailsModels.querySelector("summary").textContent =
    `${plural(proposers.length, "model")} proposed it`;
  el.detailsModels.querySelector(".models").textContent = proposers.join(", ");
  el.detailsModels.hidden = !proposers.length;
  el.removeLabel.hidden = !label.added || readOnly();
  el.removeLabel.setAttribute("aria-label", `Remove ${label.name}`);
  updateChips();
}

// Wide screens: the details beside the picture, always. Narrow ones: in the selected label's
// row, unfolded by its About button (or m).
function placeDetails() {
  const item = el.labels.children[state.selected];
  const inRow = NARROW.matches && item;
  const home = inRow ? item : el.detailsHome;
  if (el.details.parentElement !== home) home.append(el.details);
  el.details.hidden = !state.labels.length || (inRow && !state.detailsOpen);
  for (const [position, row] of [...el.labels.children].entries()) {
    const open = Boolean(inRow) && state.detailsOpen && position === state.selected;
    row.querySelector(".details-toggle").setAttribute("aria-expanded", String(open));
  }
}

NARROW.addEventListener("change", placeDetails);

function updateChips() {
  const present = new Set(state.labels.map((label) => label.label));
  for (const chip of el.detailsSimilar.querySelectorAll("[data-add-class]")) {
    chip.disabled = present.has(Number(chip.dataset.addClass)) || readOnly();
  }
}

function updateBack() {
  // "b" walks back through the expert's submitted reviews of this set: the button says whether
  // there is one to walk to, whatever is on screen (also "nothing left").
  el.back.disabled = state.pastPosition + 1 >= state.past.length;
}

function updateCounts() {
  const judged = state.labels.filter((label) => label.verdict).length;
  el.judgedCount.textContent = `${judged} of ${state.labels.length} judged`;
  el.labelCount.textContent = state.labels.length ? `(${state.labels.length})` : "";
  el.undo.disabled = !state.undo.length;
  updateBack();
  const present = new Set(state.labels.map((label) => label.label));
  el.addOriginal.hidden =
    !state.task || readOnly() || present.has(state.task.image.original_label);
  updateChips();
}

function select(index, { focus = true, scroll = true } = {}) {
  if (!state.labels.length) {
    placeDetails();
    return;
  }
  state.selected = Math.max(0, Math.min(index, state.labels.length - 1));
  for (const [position, item] of [...el.labels.children].entries()) {
    const chosen = position === state.selected;
    item.classList.toggle("selected", chosen);
    if (chosen) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");
  }
  renderDetails();
  placeDetails();
  const item = el.labels.children[state.selected];
  if (focus) item.focus({ preventScroll: true });
  if (scroll) item.scrollIntoView({ block: "nearest" });
}

function describeState(task) {
  if (task.frozen_by) {
    return `Read only: release ${task.frozen_by} froze the labels of this image, so your review of it can no longer be revised.`;
  }
  if (task.status === "submitted") {
    return "You submitted this review. Changes are saved as a revision as you make them; Enter takes you on.";
  }
  if (task.leased_until) {
    return `In progress: kept for you until ${clockTime(Date.parse(task.leased_until))}, and longer while this page is open.`;
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
  const frozen = Boolean(task.frozen_by);
  el.reviewState.textContent = describeState(task);
  el.reviewState.classList.toggle("read-only", frozen);
  el.task.classList.toggle("read-only", frozen);
  el.skip.disabled = task.status !== "draft";
  el.submitLabel.textContent = task.status === "draft" ? "Submit" : "Save and go on";
  // A review a release froze is shown as it is: nothing on it can change.
  el.submit.hidden = el.skip.hidden = el.undo.hidden = frozen;
  el.goOn.hidden = !frozen;
  el.searchBox.hidden = frozen;
  for (const box of el.reasons) box.disabled = frozen;
  el.note.readOnly = el.comment.readOnly = frozen;
  for (const button of el.labels.querySelectorAll("button[data-verdict]")) {
    button.disabled = frozen;
  }
}

// ---- showing an image --------------------------------------------------------------------

// Everything a task needs on screen, made before it is shown: its picture downloaded and
// decoded, its label rows built.
async function prepare(task) {
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
  // The example pictures of the label selected first, so that they too are at hand.
  const first = task.labels.find((label) => !label.verdict) ?? task.labels[0];
  const examples = (first?.examples ?? []).map((example) => {
    const thumbnail = new Image();
    thumbnail.src = example.thumbnail;
    return thumbnail.decode();
  });
  // The labels are built while the pictures download and decode.
  const items = task.labels.map(labelElement);
  let decoded = true;
  try {
    await picture.decode();
  } catch {
    decoded = false;
  }
  await Promise.allSettled(examples);
  return { task, picture, items, decoded };
}

// A change that joins the save queue once the next frame is painted (its request must not
// delay that frame), or at once if the page is left or moves on before.
const deferred = new Set();

function pushAfterPaint(op) {
  deferred.add(op);
  requestAnimationFrame(() =>
    setTimeout(() => {
      if (deferred.delete(op)) saver.push(op);
    }, 0),
  );
}

function pushDeferred() {
  for (const op of deferred) {
    deferred.delete(op);
    saver.push(op);
  }
}

// Put a prepared task on screen, all at once (the previous image stays until then), at the
// top of the page.
function swapIn({ task, picture, items, decoded }, { startedAt } = {}) {
  const swapping = performance.now();
  const image = task.image;
  zoom.reset();
  el.picture.replaceWith(picture);
  el.picture = picture;
  el.viewport.classList.toggle("no-picture", !decoded);
  if (!decoded) picture.alt = `${image.file_name}: the picture could not be loaded`;
  el.originalLink.href = image.picture_urls.original;
  el.fileName.textContent = image.file_name;
  el.barFile.textContent = image.file_name;
  document.title = `${image.file_name} · Review · ImageNet label review`;
  el.facts.textContent = image.width ? `${image.width} × ${image.height} px` : "";
  el.standIn.hidden = !image.is_stand_in;
  el.originalName.textContent = image.original_name;
  el.originalWnid.textContent = image.original_wnid;
  el.originalWnid.title = `class ${image.original_label}`;
  el.originalName.parentElement.title =
    `Original label: ${image.original_name} (${image.original_wnid}, class ${image.original_label})`;

  state.task = task;
  status.notice = false; // it was about the image before
  if (ahead.ready?.task.id === task.id) setAhead(null); // on screen now, by another way
  state.labels = taskLabels(task);
  versions.set(task.id, task.version);
  state.undo = [];
  state.lost = false;
  state.detailsOpen = false;
  el.labels.replaceChildren(...items);
  setFlags({ reasons: task.problem_reasons ?? [], note: task.problem_note ?? "" });
  el.comment.value = task.comment ?? "";
  showTaskState(task);
  classSearch.clear();
  if (task.status === "draft") {
    state.heldReviewId = task.id;
    state.heldFile = image.file_name;
    if (task.leased_until) lease.until = Date.parse(task.leased_until);
  }
  // A failed submit's message stays until it is dealt with; any other message goes.
  if (state.messageKind !== "failed-submit") hideMessage();
  el.task.hidden = false;
  el.task.inert = false;
  if (window.scrollX || window.scrollY) window.scrollTo(0, 0);
  updateCounts();
  const firstOpen = state.labels.findIndex((label) => !label.verdict);
  select(firstOpen >= 0 ? firstOpen : 0, { scroll: false });
  if (!state.labels.length) el.viewport.focus({ preventScroll: true });
  clockStart(task.id);
  scheduleRenewal();
  if (startedAt !== undefined) {
    phase("swap", swapping);
    requestAnimationFrame(() => {
      performance.measure(NEXT_IMAGE_MEASURE, { start: startedAt, end: performance.now() });
    });
  }
}

async function show(task, options) {
  swapIn(await prepare(task), options);
}

// ---- the next image, claimed ahead -------------------------------------------------------

const ahead = {
  ready: null, // {task, picture, items, decoded}: the next image, on hold for this page
  chain: Promise.resolve(), // one claim ahead at a time
};

function setAhead(ready) {
  ahead.ready = ready;
  app.dataset.nextReady = String(Boolean(ready));
}

function takeAhead() {
  const ready = ahead.ready;
  setAhead(null);
  return ready;
}

// Only for the queue's image in progress: a revision, a frozen review or a lost lease goes on
// through a plain claim.
function wantsAhead() {
  return (
    Boolean(state.task) &&
    state.task.status === "draft" &&
    state.pastPosition === -1 &&
    !state.lost &&
    !ahead.ready
  );
}

function prefetchAhead() {
  ahead.chain = ahead.chain.then(claimAhead, claimAhead);
}

async function claimAhead() {
  // After the submit before it: until then the server holds that image too.
  await state.submitting;
  if (!wantsAhead()) return;
  try {
    const claiming = performance.now();
    const task = await api.post(`review-sets/${reviewSetId}/claim/`, { ahead: true });
    phase("claim", claiming);
    // Nothing more; or the image on screen (the server's second held image, after a submit
    // that failed): then the queue hands out the rest after this one.
    if (!task || task.id === state.task?.id) return;
    const decoding = performance.now();
    const ready = await prepare(task);
    phase("decode", decoding);
    if (task.id === state.task?.id || !wantsAhead()) return;
    setAhead(ready);
  } catch {
    // The next image is claimed the ordinary way when it is wanted.
  }
}

// Leaving the page: the image claimed ahead goes back to the queue at once (the request outlives
// the page); one whose claim is still on the way lapses with its lease.
function releaseAhead() {
  const ready = takeAhead();
  if (ready) api.delete(`reviews/${ready.task.id}/`).catch(() => {});
}

// ---- messages ----------------------------------------------------------------------------

function showMessage(text, options = {}) {
  const { next = false, nextText = "Next image", retry = false } = options;
  const { logIn = false, reopen = false, kind = "" } = options;
  state.messageKind = kind;
  el.messageText.textContent = text;
  el.nextImage.textContent = nextText;
  el.nextImage.hidden = !next;
  el.retry.hidden = !retry;
  el.reopen.hidden = !reopen;
  el.logIn.hidden = !logIn;
  el.message.hidden = false;
  if (next) el.nextImage.focus();
  else if (retry) el.retry.focus();
  else if (logIn) el.logIn.focus();
}

function hideMessage() {
  state.messageKind = "";
  el.message.hidden = true;
}

function loseLease(detail) {
  state.lost = true;
  if (state.task) {
    state.lostFile = state.task.image.file_name;
    saver.drop(state.task.id);
    if (state.heldReviewId === state.task.id) state.heldReviewId = null;
  }
  el.task.inert = true;
  clearLeaseWarning();
  setStatus("error", "Not saved: the image is no longer yours");
  showMessage(`${detail} Changes made after that were not saved. Go on with the next image.`, {
    next: true,
  });
}

// The session ended (logged out in another tab, or expired): nothing more can be saved. The
// verdicts the server did not get go back to the stored ones and are marked "not saved"; the
// link logs in again and comes back to this review, where the saved work is.
function loggedOut() {
  state.lost = true;
  state.loggedOut = true;
  saver.drop(null, new ApiError(401, LOGGED_OUT, "not_authenticated"));
  clearTimeout(lease.timer);
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

// Nothing to claim: say why, from what the set's progress tells (images other experts hold
// now, which come back to the queue if their leases lapse), and, after a lost lease, what
// became of that image.
async function showNothingLeft() {
  const lostFile = state.lostFile;
  state.lostFile = "";
  state.task = null;
  state.labels = [];
  state.heldReviewId = null;
  el.task.hidden = true;
  el.fileName.textContent = "Nothing left to review";
  el.reviewState.textContent = "";
  document.title = "Nothing left · Review · ImageNet label review";
  setStatus("idle", "");
  clearLeaseWarning();
  updateBack();
  const progress = await api.get(`review-sets/${reviewSetId}/progress/`).catch(() => null);
  const others = progress?.held_by_others ?? 0;
  const text = [];
  if (lostFile) {
    text.push(
      `${lostFile} is no longer yours: your lease on it lapsed and another expert took it, so it does not count as one of your reviews.`,
    );
  }
  const back = state.past.length
    ? ` ${others ? "Meanwhile, " : "To change one of your reviews, "}Previous image (b) takes you back to them.`
    : "";
  if (others) {
    text.push(
      `No ${lostFile ? "other " : ""}image of this set is free for you right now: ${plural(others, "image")} you have not reviewed ${others === 1 ? "is" : "are"} being reviewed by other experts, and ${others === 1 ? "comes" : "come"} back to you if ${others === 1 ? "that lease lapses" : "their leases lapse"}. Check again in a while.${back}`,
    );
    showMessage(text.join(" "), { next: true, nextText: "Check again" });
  } else {
    text.push(
      lostFile
        ? "There is no other image left for you in this review set: you reviewed every other image that still needs a review."
        : "There is no image left for you in this review set: you reviewed every image that still needs a review. Thank you!",
    );
    showMessage(text.join(" ") + back);
  }
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
    releaseAhead();
    await showNothingLeft();
  } else if (ahead.ready?.task.id === task.id) {
    swapIn(takeAhead(), { startedAt }); // the one claimed ahead, ready
  } else {
    await show(task, { startedAt });
  }
  history.replaceState(null, "", app.dataset.queueUrl);
  prefetchAhead();
}

async function open(reviewId) {
  const task = await api.get(`reviews/${reviewId}/`);
  if (task.status === "draft") {
    const renewed = await api.post(`reviews/${task.id}/renew/`).catch((error) => error);
    if (!(renewed instanceof ApiError) && renewed?.leased_until) {
      task.leased_until = renewed.leased_until;
    }
    await show(task);
    if (renewed instanceof ApiError) failed(renewed);
  } else {
    await show(task);
  }
  state.pastPosition = state.past.indexOf(task.id);
  updateCounts();
  history.replaceState(null, "", urlFor(app.dataset.reopenUrl, task.id));
  prefetchAhead();
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

// The page renews the lease on its draft (and on the image claimed ahead) while it is open. A
// renewal that fails for a reason other than a lost lease (the network, the server) is said
// at once, with when the lease lapses, and tried again soon; the warning goes when one succeeds.
const lease = { timer: null, until: null };
const RENEWAL_RETRY_MS = 30_000;

function scheduleRenewal(delay) {
  clearTimeout(lease.timer);
  if (delay === undefined) {
    const left = lease.until ? lease.until - Date.now() : 30 * 60 * 1000;
    // A third of what is left, so that a missed renewal or two still leave time; at most 5 min.
    delay = Math.max(15_000, Math.min(5 * 60 * 1000, left / 3));
  }
  lease.timer = setTimeout(renew, delay);
}

function clearLeaseWarning() {
  el.leaseWarning.textContent = "";
}

function warnLease(error) {
  const file = state.heldFile || "this image";
  const why =
    error.status === 0 ? "the server cannot be reached" : `the server answered ${error.status}`;
  if (lease.until && lease.until > Date.now()) {
    el.leaseWarning.textContent = `Your hold on ${file} could not be renewed (${why}). It lapses at ${clockTime(lease.until)} unless a renewal gets through: keep this page open and check your connection; the page keeps trying.`;
  } else {
    el.leaseWarning.textContent = `Your hold on ${file} ${lease.until ? `lapsed at ${clockTime(lease.until)}` : "may have lapsed"} and could not be renewed (${why}): another expert may take the image, and then your changes to it are refused. Check your connection; the page keeps trying.`;
  }
}

async function renew() {
  const reviewId = state.heldReviewId;
  const aheadId = ahead.ready?.task.id;
  if (aheadId !== undefined) {
    api.post(`reviews/${aheadId}/renew/`).catch((error) => {
      // Gone (lapsed and taken): the next image is claimed the ordinary way.
      if (error instanceof ApiError && error.isConflict && ahead.ready?.task.id === aheadId) {
        setAhead(null);
      }
    });
  }
  if (reviewId === null) {
    if (aheadId !== undefined) scheduleRenewal();
    return;
  }
  try {
    const answer = await api.post(`reviews/${reviewId}/renew/`);
    if (answer?.leased_until) lease.until = Date.parse(answer.leased_until);
    clearLeaseWarning();
    scheduleRenewal();
  } catch (error) {
    if (!(error instanceof ApiError)) {
      scheduleRenewal(RENEWAL_RETRY_MS);
    } else if (error.isLoggedOut) {
      loggedOut();
    } else if (error.isConflict) {
      state.heldReviewId = null;
      clearLeaseWarning();
      if (state.task?.id === reviewId) loseLease(error.detail);
    } else {
      warnLease(error);
      const left = lease.until ? lease.until - Date.now() : RENEWAL_RETRY_MS;
      scheduleRenewal(Math.max(5_000, Math.min(RENEWAL_RETRY_MS, left / 4)));
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
  announceChange(`${plural(open.length, "label")} marked wrong.`);
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
        if (item.hasAttribute("aria-current")) fresh.setAttribute("aria-current", "true");
        const hadFocus = item === document.activeElement;
        item.replaceWith(fresh);
        if (hadFocus) fresh.focus({ preventScroll: true });
        if (state.labels[state.selected] === current) renderDetails();
        placeDetails();
        updateCounts();
      }
      return created;
    },
  });
  if (restore?.verdict) setVerdicts({ [index]: restore.verdict }, { record: false });
  if (!restore) announceChange(`Added ${label.name}: judge it with c, w or u.`);
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
  announceChange(`Removed ${label.name}.`);
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
    announceChange("Undone: the verdict is back as it was.");
  } else if (action.type === "add") {
    const position = state.labels.findIndex((label) => label.label === action.label);
    if (position >= 0) removeLabel(position, { record: false });
    announceChange("Undone: the added class is removed.");
  } else if (action.type === "remove") {
    addClass({ index: action.label.label }, { record: false, restore: action.label });
    announceChange(`Undone: ${action.label.name} is back.`);
  } else if (action.type === "flags") {
    for (const box of el.reasons) box.checked = action.before.includes(box.value);
    saveFlags({ record: false });
    announceChange("Undone: the flags are back as they were.");
  }
  updateCounts();
}

// ---- moving between images ---------------------------------------------------------------

async function leaving() {
  pushDeferred();
  flushText();
  await saver.idle();
  return !state.lost;
}

// The submit joins the save queue, behind the changes before it, with every verdict on screen
// (saved again in the same transaction: none can be lost on the way). Resolves whether it was
// stored. When it fails after the page moved on, the page says so and offers the image again.
function queueSubmit(task, seconds, verdicts, { later = false } = {}) {
  const file = task.image.file_name;
  return new Promise((resolve) => {
    const push = (op) => (later ? pushAfterPaint(op) : saver.push(op));
    push({
      reviewId: task.id,
      savingText: `Submitting ${file}…`,
      savedText: task.status === "draft" ? `Submitted ${file}` : `Saved ${file}`,
      run: async (version) => {
        const submitting = performance.now();
        const done = await api.post(`reviews/${task.id}/submit/`, {
          seconds_spent: seconds,
          verdicts,
          version,
        });
        phase("submit", submitting);
        return done;
      },
      done: () => resolve(true),
      failed: (error) => {
        resolve(false);
        submitFailed(task, verdicts, error);
      },
    });
  });
}

async function submitFailed(task, verdicts, error) {
  if (task.status === "draft") state.past = state.past.filter((id) => id !== task.id);
  updateBack();
  // On screen, the queue has shown what happened (a lost lease, a reload).
  if (state.task?.id === task.id || state.loggedOut) return;
  if (error instanceof ApiError && error.isStale) {
    // Perhaps this very submit, sent again after its answer was lost: ask what is stored.
    const stored = await api.get(`reviews/${task.id}/`).catch(() => null);
    if (stored?.status === "submitted") {
      if (task.status === "draft") state.past = [task.id, ...state.past];
      updateBack();
      return;
    }
  }
  const file = task.image.file_name;
  const detail = error instanceof ApiError ? error.detail : String(error);
  setStatus("error", `Not submitted: ${file}`);
  if (error instanceof ApiError && error.isConflict && !error.isStale) {
    showMessage(
      `${file} was not submitted: ${detail} The verdicts saved before are kept in your draft, but the image is another expert's now.`,
      { kind: "failed-submit" },
    );
    return;
  }
  state.failedSubmit = { id: task.id, fileName: file, verdicts };
  showMessage(
    `${file} was not submitted: ${detail} Your verdicts on it are kept on this page: open it again to submit it.`,
    { reopen: true, kind: "failed-submit" },
  );
}

async function submit(startedAt) {
  if (state.busy || !state.task || state.lost) return;
  if (readOnly()) {
    nextImage();
    return;
  }
  const missing = state.labels.findIndex((label) => !label.verdict);
  if (missing >= 0) {
    select(missing);
    setStatus(
      "error",
      `Judge every label first: ${state.labels[missing].name} has no verdict yet.`,
    );
    return;
  }
  flushText();
  const task = state.task;
  const verdicts = Object.fromEntries(state.labels.map((label) => [label.label, label.verdict]));
  const swap =
    task.status === "draft" &&
    state.pastPosition === -1 &&
    Boolean(ahead.ready) &&
    ahead.ready.task.id !== task.id;
  // When the next image is swapped in, the submit request waits for that frame to be painted.
  const submitted = queueSubmit(task, takeSeconds(task.id), verdicts, { later: swap });
  state.submitting = submitted;
  if (task.status === "draft") state.past = [task.id, ...state.past.filter((id) => id !== task.id)];
  if (state.heldReviewId === task.id) state.heldReviewId = null;
  // The next image is ready: swap it in now; the submit goes on in the background.
  if (swap) {
    swapIn(takeAhead(), { startedAt });
    history.replaceState(null, "", app.dataset.queueUrl);
    prefetchAhead();
    return;
  }
  // A revision, or nothing ready: the next image after the submit is stored.
  state.busy = true;
  el.submit.disabled = true;
  try {
    if (!(await submitted)) return;
    await claimNext({ startedAt });
  } catch (error) {
    failed(error, () => nextImage());
  } finally {
    el.submit.disabled = false;
    notBusy();
  }
}

async function skip() {
  if (state.busy || !state.task || state.lost || readOnly()) return;
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
    if (state.pastPosition === -1 && ahead.ready) {
      swapIn(takeAhead());
      history.replaceState(null, "", app.dataset.queueUrl);
      prefetchAhead();
    } else {
      await claimNext();
    }
    if (state.task) setStatus("saved", `Skipped ${task.image.file_name}`, { notice: false });
  } catch (error) {
    failed(error, () => skip());
  } finally {
    notBusy();
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
    announceChange(`Back to ${state.task.image.file_name}: change it, then Enter to go on.`);
  } catch (error) {
    failed(error);
  } finally {
    notBusy();
  }
}

async function nextImage() {
  if (state.busy) return;
  state.busy = true;
  hideMessage();
  try {
    if (state.task && !state.lost && !(await leaving())) return;
    await claimNext();
  } catch (error) {
    failed(error, () => nextImage());
  } finally {
    notBusy();
  }
}

// A submit failed after the page moved on: back to that image, with the verdicts the page had.
async function reopenFailed() {
  const failedSubmit = state.failedSubmit;
  if (!failedSubmit || state.busy) return;
  state.busy = true;
  hideMessage();
  try {
    if (state.task && !state.lost && !(await leaving())) return;
    clockStop();
    await open(failedSubmit.id);
    state.failedSubmit = null;
    if (state.lost) return;
    const missing = {};
    for (const label of state.labels) {
      const wanted = failedSubmit.verdicts[label.label];
      if (wanted && label.verdict !== wanted) missing[label.label] = wanted;
    }
    setVerdicts(missing, { record: false });
    announceChange(`Back to ${failedSubmit.fileName}: press Enter to submit it again.`);
  } catch (error) {
    failed(error);
  } finally {
    notBusy();
  }
}

// ---- zoom and pan (static/js/zoom.js) ------------------------------------------------------
// Each image swaps in a new <img> (decoded ahead), so the zoom asks for the one on screen.

const zoom = createZoom(
  {
    viewport: el.viewport,
    picture: () => el.picture,
    button: el.zoomButton,
    zoomIn: el.zoomIn,
    zoomOut: el.zoomOut,
    level: el.zoomLevel,
  },
  () => {
    const image = state.task?.image;
    return image
      ? { original: image.picture_urls.original, width: image.width, height: image.height }
      : null;
  },
);

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
  // The details panel sits in the selected row on narrow screens: its own handler below.
  if (event.target.closest("#label-details")) return;
  const item = event.target.closest("li.label");
  if (!item || state.busy) return;
  const position = [...el.labels.children].indexOf(item);
  const verdictButton = event.target.closest("button[data-verdict]");
  const toggle = event.target.closest(".details-toggle");
  if (verdictButton) {
    if (readOnly()) return;
    select(position, { focus: false });
    const label = state.labels[position];
    const value = verdictButton.dataset.verdict;
    setVerdicts({ [label.label]: label.verdict === value ? "" : value });
    // Focus leaves the button so that Enter submits rather than pressing it again.
    item.focus({ preventScroll: true });
  } else if (toggle) {
    const open = !(position === state.selected && state.detailsOpen);
    state.detailsOpen = open;
    select(position, { focus: false });
    toggle.focus({ preventScroll: true });
  } else if (!event.target.closest("a, button")) {
    select(position);
  }
});

el.details.addEventListener("click", (event) => {
  const chip = event.target.closest("[data-add-class]");
  if (chip && !readOnly()) {
    addClass({
      index: Number(chip.dataset.addClass),
      wnid: chip.dataset.wnid,
      name: chip.dataset.name,
    });
  } else if (event.target.closest("#remove-label") && !readOnly()) {
    removeLabel(state.selected);
  }
});

for (const box of el.reasons) box.addEventListener("change", () => saveFlags());
el.note.addEventListener("input", () => textChanged(el.note, () => saveFlags({ record: false })));
el.comment.addEventListener("input", () => textChanged(el.comment, saveComment));
for (const field of [el.note, el.comment]) field.addEventListener("blur", flushText);

el.submit.addEventListener("click", (event) => submit(event.timeStamp));
el.goOn.addEventListener("click", () => nextImage());
el.skip.addEventListener("click", () => skip());
el.undo.addEventListener("click", () => undo());
el.back.addEventListener("click", () => back());
el.nextImage.addEventListener("click", () => nextImage());
el.reopen.addEventListener("click", () => reopenFailed());
el.helpButton.addEventListener("click", () => el.help.showModal());
el.addOriginal.addEventListener("click", () => {
  const image = state.task.image;
  addClass({ index: image.original_label, wnid: image.original_wnid, name: image.original_name });
});

// ---- the keyboard ------------------------------------------------------------------------

function isTyping(target) {
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) {
    return !target.readOnly;
  }
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
      if (state.busy) announce("Not undone: the page is moving to another image.");
      else if (state.task && !state.lost && !readOnly()) undo();
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
  // While the next image loads, keys would act on the one being left: they wait for the next.
  if (state.busy) {
    if (holdKey(event, key)) event.preventDefault();
    return;
  }
  if (key === "b") {
    event.preventDefault();
    back(); // also from the "nothing left" screen or after a lost lease
    return;
  }
  if (!state.task || state.lost) return;
  // On the zoomed picture the arrow keys pan (the browser scrolls it).
  const panning = target === el.viewport && zoom.on && event.key.startsWith("Arrow");
  if (panning) return;
  const native = target.closest?.("button, a, summary, dialog");
  if (readOnly() && (CHANGE_KEYS.has(key) || (key === "w" && event.shiftKey))) {
    event.preventDefault();
    announce(`Read only: release ${state.task.frozen_by} froze this image. Enter goes on.`);
    return;
  }

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
    if (NARROW.matches) {
      state.detailsOpen = !state.detailsOpen;
      placeDetails();
    }
    if (!el.detailsModels.hidden) el.detailsModels.open = !el.detailsModels.open;
  } else if (key === "/") {
    if (!readOnly()) {
      el.search.focus();
      el.search.select();
    }
  } else if (key === "Delete") {
    removeLabel(state.selected);
  } else if (key === "f") {
    el.reasons[0]?.focus();
  } else if (key === "n") {
    el.comment.focus();
  } else if (key === "z") {
    zoom.toggle();
  } else if (key === "+" || key === "=") {
    zoom.by(ZOOM_STEP);
  } else if (key === "-") {
    zoom.by(1 / ZOOM_STEP);
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

// Keys pressed while the page moves to another image (a submit, skip or claim on the way, when
// the next image was not ready): none is lost. The ones that work on an image (select, judge,
// zoom, undo…) are applied, in order, to the image shown next, as soon as it is: the expert who
// presses Enter and goes on typing means the next image, and sees at once what they did (and
// can undo it). The ones that move on (Enter, s, b) are not: they would submit, skip or leave an
// image the expert has not seen yet, which cannot be taken back; the status line says so, and
// stays until the expert changes something.
const MOVE_KEYS = new Set(["Enter", "s", "b"]);
const HELD_KEYS = new Set(
  [..."123456789jkcwuxm/fnz+=-"].concat(["ArrowDown", "ArrowUp", "Delete", "Backspace"]),
);
const held = { keys: [], from: null, moves: [] };

// Whether the key is one the page handles (then held, or refused with a reason).
function holdKey(event, key) {
  if (!HELD_KEYS.has(key) && !MOVE_KEYS.has(key)) return false;
  if (!held.keys.length && !held.moves.length) held.from = state.task;
  if (MOVE_KEYS.has(key)) {
    held.moves.push(key);
    announce(`${keyName(key)} was not applied: the next image is still loading.`);
  } else if (held.keys.length < 50) {
    held.keys.push({ key: event.key, shiftKey: event.shiftKey });
  }
  return true;
}

function keyName(key) {
  return key === "Enter" ? "Enter" : `“${key}”`;
}

// The page is no longer busy: apply the keys held meanwhile to the image now shown.
function notBusy() {
  state.busy = false;
  const { keys, moves, from } = held;
  held.keys = [];
  held.moves = [];
  held.from = null;
  if (!keys.length && !moves.length) return;
  const shown = Boolean(state.task) && !state.lost && state.task !== from;
  if (shown) {
    for (const { key, shiftKey } of keys) {
      onKeyDown({
        key,
        shiftKey,
        ctrlKey: false,
        metaKey: false,
        altKey: false,
        repeat: false,
        timeStamp: performance.now(),
        target: document.activeElement ?? document.body,
        preventDefault() {},
      });
    }
  }
  if (!shown && (status.notice || !keys.length)) return; // what went wrong is said already
  const ignored = shown ? moves : [...keys.map(({ key }) => key), ...moves];
  if (!ignored.length) return;
  const names = [...new Set(ignored.map(keyName))].join(", ");
  announce(
    shown
      ? `${names} pressed while this image was loading: not applied. Look at it, then press it again.`
      : `${names} not applied: the page did not move to another image.`,
  );
}

// Changes typed just before the page closes are still sent (the requests use keepalive), and
// the image claimed ahead goes back to the queue. Back from the browser's page cache, the page
// claims one ahead again.
window.addEventListener("pagehide", () => {
  pushDeferred();
  flushText();
  releaseAhead();
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) prefetchAhead();
});
window.addEventListener("beforeunload", (event) => {
  if (saver.pending || deferred.size || textTimers.size) {
    pushDeferred();
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
    notBusy();
  }
}

updateBack();
start();
