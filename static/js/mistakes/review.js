// The mistake review page: one image at a time, each model mistake on it judged by failure
// category and severity, keyboard first, every change saved as it is made.
//
// As on the label review page (static/js/reviews/review.js), whose rules this page follows:
// the page holds one task (GET /api/mistake-reviews/items/{id}/, or POST
// /api/mistake-reviews/{set}/claim/) and sends each change through one ordered save queue, each
// carrying the review's version it was based on. When another tab or client changed the review
// meanwhile (409 "stale_version") the page reloads what is stored; when the lease is lost (409)
// it says so and goes on with the next image; when the session ended (403 "not_authenticated")
// it says so with a link to log in that comes back here. While the expert works on one image, the
// next one is claimed ahead ({"ahead": true}) and its picture decoded, so that Enter, once the
// submit is stored, swaps it in at once. The lease is renewed, and the image claimed ahead handed
// back when the page is left, through the label review's own endpoints (they know nothing of
// labels). The requests go through the pages' one API client, static/js/api.js.

import { ApiError, createApi, LOGGED_OUT, retryDelay, wait } from "../api.js";
import { createZoom, ZOOM_STEP } from "../zoom.js";

const app = document.getElementById("mistake-app");
const api = createApi(app.dataset.apiRoot);
const reviewSetId = Number(app.dataset.reviewSet);
const byId = (id) => document.getElementById(id);
const choices = JSON.parse(byId("mistake-choices").textContent);

const el = {
  fileName: byId("file-name"),
  reviewState: byId("review-state"),
  helpButton: byId("help-button"),
  help: byId("help"),
  message: byId("review-message"),
  messageText: byId("review-message-text"),
  nextImage: byId("next-image-button"),
  retry: byId("retry-button"),
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
  originalLabel: byId("original-label"),
  releaseCorrect: byId("release-correct"),
  releaseUnclear: byId("release-unclear"),
  releaseWithheld: byId("release-withheld"),
  mistakeCount: byId("mistake-count"),
  mistakes: byId("mistakes"),
  leaseWarning: byId("lease-warning"),
  barFile: byId("bar-file"),
  barOriginal: byId("bar-original"),
  judgedCount: byId("judged-count"),
  status: byId("save-status"),
  skip: byId("skip-button"),
  submit: byId("submit-button"),
  submitLabel: byId("submit-label"),
  template: byId("mistake-template"),
};

const CATEGORY_KEYS = new Map(choices.categories.map((choice) => [choice.key, choice]));
const SEVERITY_KEYS = new Map(choices.severities.map((choice) => [choice.key, choice]));
const LABEL_OF = new Map(
  [...choices.categories, ...choices.severities].map((choice) => [choice.value, choice.label]),
);
const HELP_OF = new Map(choices.categories.map((choice) => [choice.value, choice.help]));
// A held key repeats: fine for moving between mistakes, not for judging or submitting.
const CHOICE_KEYS = [...CATEGORY_KEYS.keys(), ...SEVERITY_KEYS.keys()];
const ONCE_KEYS = new Set(["x", "s", "z", "e", "Enter", ...CHOICE_KEYS]);
// The keys that change a review: a read-only one refuses them.
const CHANGE_KEYS = new Set(["x", "s", "e", ...CHOICE_KEYS]);
const TEXT_SAVE_DELAY_MS = 500;

const state = {
  task: null,
  mistakes: [], // the task's mistakes, each with its judgment on screen and as stored
  selected: 0,
  busy: false, // submitting, skipping or loading: keys that change the image wait
  lost: false, // the lease on the image on screen is gone, or the session ended
  loggedOut: false,
  heldReviewId: null, // the draft this page holds a lease on
  lostFile: "",
};

// The version of each review as the server last answered it; every change sends it.
const versions = new Map();

function noteVersion(reviewId, answer) {
  if (typeof answer?.version === "number") versions.set(reviewId, answer.version);
}

function readOnly() {
  return !state.task?.can_change;
}

// ---- status line -------------------------------------------------------------------------

// A notice (a refused submit, an error) stays until the expert changes something; the save
// queue's progress does not replace it.
const status = { notice: false };

function setStatus(kind, text, { notice = kind === "error" } = {}) {
  status.notice = notice;
  el.status.dataset.state = kind;
  el.status.textContent = text;
}

function progress(kind, text) {
  if (!status.notice) setStatus(kind, text, { notice: false });
}

function announce(text) {
  setStatus("info", text, { notice: true });
}

// ---- the save queue ----------------------------------------------------------------------

// Each change is an op {reviewId, run(version), key?, done?(answer), failed?(error)}; queued ops
// with the same key replace one another (a note being typed).
const textTimers = new Map();

const saver = (() => {
  const queue = [];
  let running = false;
  let waiting = [];

  function settle() {
    if (queue.length || running) return;
    for (const resolve of waiting) resolve();
    waiting = [];
  }

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
        // Text still being typed is not saved yet: the status must not claim it is.
        if (!queue.length && !textTimers.size) {
          progress("saved", op.savedText ?? "All changes saved");
        } else if (!queue.length) {
          progress("editing", "Editing…");
        }
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
          queue.shift();
          op.failed?.(error);
          drop(op.reviewId, error);
          if (onScreen) await reloadChanged();
          continue;
        }
        if (error.isConflict || (error.status === 404 && onScreen)) {
          queue.shift();
          op.failed?.(error);
          drop(op.reviewId, error);
          const detail = error.status === 404 ? "This image is no longer yours." : error.detail;
          if (onScreen) loseLease(detail);
          continue;
        }
        op.failures = (op.failures ?? 0) + 1;
        const delay = retryDelay(error, op.failures);
        if (delay !== null) {
          setStatus("error", `Not saved yet: ${error.detail} Trying again…`, { notice: false });
          await wait(delay);
          continue;
        }
        // Refused (400, 403) or failing for good: the message stays, the page shows what is
        // stored (unless the op says what to do instead: a refused submit).
        queue.shift();
        setStatus("error", op.refusedText ? op.refusedText(error) : `Not saved: ${error.detail}`);
        op.failed?.(error);
        if (onScreen && !op.keepOnRefusal) await reload({ keepStatus: true });
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
  if (clock.reviewId === reviewId) clockStop();
  const seconds = (clock.spent.get(reviewId) ?? 0) / 1000;
  clock.spent.delete(reviewId);
  return Math.round(seconds * 10) / 10;
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) clockStop();
  else if (clock.reviewId !== null) clock.since = performance.now();
});

// ---- rendering ---------------------------------------------------------------------------

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function clockTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function classUrl(index) {
  return app.dataset.classUrl.replace(/\/0\/$/, `/${index}/`);
}

function isJudged(mistake) {
  return Boolean(mistake.category && mistake.severity);
}

// The first missing part of a mistake's judgment, as the server words its refusal.
function missingOf(mistake) {
  const missing = ["category", "severity"].filter((field) => !mistake[field]);
  return missing.length ? missing.join(" and no ") : "";
}

function mistakeElement(mistake, position, task) {
  const item = el.template.content.firstElementChild.cloneNode(true);
  const id = `mistake-${task.id}-${mistake.id}`;
  item.dataset.mistake = mistake.id;
  item.querySelector(".mistake-number").textContent = `${position + 1}`;
  const heading = item.querySelector(".mistake-name");
  heading.id = `${id}-name`;
  item.setAttribute("aria-labelledby", heading.id);
  const name = item.querySelector(".predicted-name");
  name.textContent = mistake.predicted_name;
  name.href = classUrl(mistake.predicted);
  name.title = `${mistake.predicted_wnid} · class ${mistake.predicted}: the class page, in a new tab`;
  const models = item.querySelector(".mistake-models");
  models.textContent = `by ${mistake.model_names.join(", ")}`;
  models.title = `${plural(mistake.model_names.length, "chosen model")} predicted it`;
  const gloss = item.querySelector(".gloss");
  const synonyms = (mistake.predicted_names ?? []).slice(1);
  const sentence = mistake.gloss && !/[.!?]$/.test(mistake.gloss) ? `${mistake.gloss}.` : mistake.gloss;
  gloss.textContent = [sentence, synonyms.length ? `Also: ${synonyms.join(", ")}.` : ""]
    .filter(Boolean)
    .join(" ");
  gloss.hidden = !gloss.textContent;
  for (const [group, field] of [
    [".category-choice", "category"],
    [".severity-choice", "severity"],
  ]) {
    const fieldset = item.querySelector(group);
    const legend = fieldset.querySelector("legend");
    const about = document.createElement("span");
    about.className = "visually-hidden";
    about.textContent = ` of ${mistake.predicted_name}`;
    legend.append(about);
    for (const input of fieldset.querySelectorAll("input[type=radio]")) {
      input.name = `${id}-${field}`;
      input.dataset.field = field;
    }
  }
  const note = item.querySelector(".note");
  note.id = `${id}-note`;
  item.querySelector(".note-label").htmlFor = note.id;
  note.value = mistake.note ?? "";
  paint(item, mistake);
  return item;
}

function paint(item, mistake) {
  item.dataset.judged = String(isJudged(mistake));
  item.dataset.severity = mistake.severity || "none";
  for (const input of item.querySelectorAll("input[type=radio]")) {
    input.checked = input.value === mistake[input.dataset.field];
    input.disabled = readOnly();
  }
  item.querySelector(".category-help").textContent = mistake.category
    ? `${LABEL_OF.get(mistake.category)}: ${HELP_OF.get(mistake.category)}.`
    : "";
  const note = item.querySelector(".note");
  note.readOnly = readOnly();
  const unsaved = item.querySelector(".unsaved");
  unsaved.hidden = !mistake.unsaved;
  unsaved.textContent = mistake.unsaved ? "Not saved: this judgment did not reach the server." : "";
}

function itemOf(mistake) {
  return el.mistakes.querySelector(`[data-mistake="${mistake.id}"]`);
}

function updateCounts() {
  const judged = state.mistakes.filter(isJudged).length;
  el.judgedCount.textContent = `${judged} of ${plural(state.mistakes.length, "mistake")} judged`;
  el.mistakeCount.textContent = state.mistakes.length ? `(${state.mistakes.length})` : "";
}

function select(index, { focus = true, scroll = true } = {}) {
  if (!state.mistakes.length) return;
  state.selected = Math.max(0, Math.min(index, state.mistakes.length - 1));
  for (const [position, item] of [...el.mistakes.children].entries()) {
    const chosen = position === state.selected;
    item.classList.toggle("selected", chosen);
    if (chosen) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");
  }
  const item = el.mistakes.children[state.selected];
  if (focus) item.focus({ preventScroll: true });
  if (scroll) item.scrollIntoView({ block: "nearest" });
}

function showClasses(target, labels) {
  target.replaceChildren(
    ...labels.map((label, at) => {
      const link = document.createElement("a");
      link.href = classUrl(label.label);
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = label.name;
      link.title = `${label.wnid} · class ${label.label}`;
      return at ? [document.createTextNode(", "), link] : [link];
    }).flat(),
  );
  if (!labels.length) target.textContent = "none";
}

function describeState(task) {
  if (!task.can_change) {
    return task.status === "submitted"
      ? "Read only: this mistake review is closed, so your judgments can no longer be changed."
      : "Read only: this image is no longer yours to judge.";
  }
  if (task.status === "submitted") {
    return "You submitted this image. Changes are saved as a revision as you make them; Enter takes you on.";
  }
  if (task.leased_until) {
    return `In progress: kept for you until ${clockTime(Date.parse(task.leased_until))}, and longer while this page is open.`;
  }
  return "In progress.";
}

function showTaskState(task) {
  el.reviewState.textContent = describeState(task);
  el.reviewState.classList.toggle("read-only", !task.can_change);
  el.task.classList.toggle("read-only", !task.can_change);
  el.skip.disabled = task.status !== "draft" || !task.can_change;
  el.skip.hidden = !task.can_change;
  el.submitLabel.textContent = !task.can_change
    ? "Back to the review sets"
    : task.status === "draft"
      ? "Submit"
      : "Save and go on";
}

function taskMistakes(task) {
  return task.mistakes.map((mistake) => ({
    ...mistake,
    saved: { category: mistake.category, severity: mistake.severity, note: mistake.note },
  }));
}

// ---- showing an image --------------------------------------------------------------------

// Everything a task needs on screen, made before it is shown: its picture downloaded and decoded.
async function prepare(task) {
  const image = task.image;
  const picture = new Image();
  picture.id = "picture";
  picture.draggable = false;
  picture.alt = `The picture whose mistakes you judge, ${image.file_name}`;
  if (image.width && image.height) {
    picture.width = image.width;
    picture.height = image.height;
  }
  picture.src = image.picture_urls.display;
  let decoded = true;
  try {
    await picture.decode();
  } catch {
    decoded = false;
  }
  return { task, picture, decoded };
}

function swapIn({ task, picture, decoded }) {
  const image = task.image;
  zoom.reset();
  el.picture.replaceWith(picture);
  el.picture = picture;
  el.viewport.classList.toggle("no-picture", !decoded);
  if (!decoded) picture.alt = `${image.file_name}: the picture could not be loaded`;
  el.originalLink.href = image.picture_urls.original;
  el.fileName.textContent = image.file_name;
  el.barFile.textContent = image.file_name;
  document.title = `${image.file_name} · Model mistakes · ImageNet label review`;
  el.facts.textContent = image.width ? `${image.width} × ${image.height} px` : "";
  el.standIn.hidden = !image.is_stand_in;
  showClasses(el.originalLabel, [
    { label: image.original_label, wnid: image.original_wnid, name: image.original_name },
  ]);
  el.barOriginal.textContent = image.original_name;
  el.barOriginal.parentElement.title = `Original label: ${image.original_name} (${image.original_wnid}, class ${image.original_label})`;
  const withheld = task.release.withheld;
  el.releaseWithheld.hidden = !withheld;
  el.releaseWithheld.textContent = withheld
    ? `The labels of release ${task.release.version} are not shown: ${withheld}`
    : "";
  for (const target of [el.releaseCorrect, el.releaseUnclear]) {
    target.closest("dd").previousElementSibling.hidden = Boolean(withheld);
    target.hidden = Boolean(withheld);
  }
  if (!withheld) {
    showClasses(el.releaseCorrect, task.release.correct);
    showClasses(el.releaseUnclear, task.release.unclear);
  }

  state.task = task;
  status.notice = false;
  if (ahead.ready?.task.id === task.id) setAhead(null);
  state.mistakes = taskMistakes(task);
  versions.set(task.id, task.version);
  state.lost = false;
  el.mistakes.replaceChildren(...state.mistakes.map((m, at) => mistakeElement(m, at, task)));
  showTaskState(task);
  if (task.status === "draft" && task.can_change) {
    state.heldReviewId = task.id;
    if (task.leased_until) lease.until = Date.parse(task.leased_until);
  }
  hideMessage();
  el.task.hidden = false;
  el.task.inert = false;
  if (window.scrollX || window.scrollY) window.scrollTo(0, 0);
  updateCounts();
  const first = state.mistakes.findIndex((mistake) => !isJudged(mistake));
  select(first >= 0 ? first : 0, { scroll: false });
  clockStart(task.id);
  scheduleRenewal();
}

async function show(task) {
  swapIn(await prepare(task));
}

// ---- the next image, claimed ahead -------------------------------------------------------

const ahead = { ready: null, chain: Promise.resolve() };

function setAhead(ready) {
  ahead.ready = ready;
  app.dataset.nextReady = String(Boolean(ready));
}

function takeAhead() {
  const ready = ahead.ready;
  setAhead(null);
  return ready;
}

function wantsAhead() {
  return (
    Boolean(state.task) &&
    state.task.status === "draft" &&
    state.task.can_change &&
    !app.dataset.review &&
    !state.lost &&
    !ahead.ready
  );
}

function prefetchAhead() {
  ahead.chain = ahead.chain.then(claimAhead, claimAhead);
}

async function claimAhead() {
  if (!wantsAhead()) return;
  try {
    const task = await api.post(`mistake-reviews/${reviewSetId}/claim/`, { ahead: true });
    if (!task || task.id === state.task?.id) return;
    const ready = await prepare(task);
    if (task.id === state.task?.id || !wantsAhead()) return;
    setAhead(ready);
  } catch {
    // The next image is claimed the ordinary way when it is wanted.
  }
}

// Leaving the page: the image claimed ahead goes back to the queue at once.
function releaseAhead() {
  const ready = takeAhead();
  if (ready) api.delete(`reviews/${ready.task.id}/`).catch(() => {});
}

// ---- messages ----------------------------------------------------------------------------

function showMessage(text, options = {}) {
  const { next = false, nextText = "Next image", retry = false, logIn = false } = options;
  el.messageText.textContent = text;
  el.nextImage.textContent = nextText;
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
  if (state.task) {
    state.lostFile = state.task.image.file_name;
    saver.drop(state.task.id);
    if (state.heldReviewId === state.task.id) state.heldReviewId = null;
  }
  el.task.inert = true;
  el.leaseWarning.textContent = "";
  setStatus("error", "Not saved: the image is no longer yours");
  showMessage(`${detail} Changes made after that were not saved. Go on with the next image.`, {
    next: true,
  });
}

function loggedOut() {
  state.lost = true;
  state.loggedOut = true;
  saver.drop(null, new ApiError(401, LOGGED_OUT, "not_authenticated"));
  clearTimeout(lease.timer);
  el.task.inert = true;
  for (const mistake of state.mistakes) {
    const changed = ["category", "severity"].some(
      (field) => (mistake[field] || "") !== (mistake.saved[field] || ""),
    );
    if (changed) {
      mistake.unsaved = true;
      mistake.category = mistake.saved.category;
      mistake.severity = mistake.saved.severity;
      const item = itemOf(mistake);
      if (item) paint(item, mistake);
    }
  }
  updateCounts();
  setStatus("error", "Not saved: you are logged out");
  const back = `${location.pathname}${location.search}`;
  el.logIn.href = `${app.dataset.loginUrl}?next=${encodeURIComponent(back)}`;
  showMessage(LOGGED_OUT, { logIn: true });
}

// Nothing left to claim: the end of the set for this expert, or images others hold for now.
async function showNothingLeft() {
  const lostFile = state.lostFile;
  state.lostFile = "";
  state.task = null;
  state.mistakes = [];
  state.heldReviewId = null;
  el.task.hidden = true;
  el.fileName.textContent = "Nothing left to judge";
  el.reviewState.textContent = "";
  document.title = "Nothing left · Model mistakes · ImageNet label review";
  setStatus("idle", "");
  el.leaseWarning.textContent = "";
  const answer = await api.get(`review-sets/${reviewSetId}/progress/`).catch(() => null);
  const others = answer?.held_by_others ?? 0;
  const text = [];
  if (lostFile) {
    text.push(`${lostFile} is no longer yours: your lease on it lapsed and another expert took it.`);
  }
  if (others) {
    text.push(
      `No ${lostFile ? "other " : ""}image of this mistake review is free for you right now: ${plural(others, "image")} you have not judged ${others === 1 ? "is" : "are"} held by other experts, and ${others === 1 ? "comes" : "come"} back to you if ${others === 1 ? "that lease lapses" : "their leases lapse"}. Check again in a while.`,
    );
    showMessage(text.join(" "), { next: true, nextText: "Check again" });
  } else {
    text.push(
      "You have reached the end of this mistake review: there is no image left for you, every image that still needs a judgment has yours. Thank you!",
    );
    showMessage(text.join(" "));
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

async function claimNext() {
  const task = await api.post(`mistake-reviews/${reviewSetId}/claim/`);
  if (app.dataset.review) {
    app.dataset.review = "";
    history.replaceState(null, "", app.dataset.queueUrl);
  }
  if (!task) {
    releaseAhead();
    await showNothingLeft();
  } else if (ahead.ready?.task.id === task.id) {
    swapIn(takeAhead());
  } else {
    await show(task);
  }
  prefetchAhead();
}

async function open(reviewId) {
  const task = await api.get(`mistake-reviews/items/${reviewId}/`);
  if (task.status === "draft" && task.can_change) {
    const renewed = await api.post(`reviews/${task.id}/renew/`).catch((error) => error);
    if (!(renewed instanceof ApiError) && renewed?.leased_until) {
      task.leased_until = renewed.leased_until;
    }
    await show(task);
    if (renewed instanceof ApiError) failed(renewed);
  } else {
    await show(task);
  }
}

// After a refused change: show what the server holds for the review on screen.
async function reload({ keepStatus = false } = {}) {
  if (!state.task) return false;
  const selected = state.selected;
  try {
    const task = await api.get(`mistake-reviews/items/${state.task.id}/`);
    state.task = task;
    state.mistakes = taskMistakes(task);
    versions.set(task.id, task.version);
    el.mistakes.replaceChildren(...state.mistakes.map((m, at) => mistakeElement(m, at, task)));
    showTaskState(task);
    updateCounts();
    select(selected, { focus: false });
    if (!keepStatus) setStatus("idle", "");
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.isLoggedOut) loggedOut();
    return false;
  }
}

async function reloadChanged() {
  if (await reload()) setStatus("error", "This review was changed in another tab: reloaded");
}

// ---- the lease ---------------------------------------------------------------------------

const lease = { timer: null, until: null };
const RENEWAL_RETRY_MS = 30_000;

function scheduleRenewal(delay) {
  clearTimeout(lease.timer);
  if (delay === undefined) {
    const left = lease.until ? lease.until - Date.now() : 30 * 60 * 1000;
    delay = Math.max(15_000, Math.min(5 * 60 * 1000, left / 3));
  }
  lease.timer = setTimeout(renew, delay);
}

async function renew() {
  const reviewId = state.heldReviewId;
  const aheadId = ahead.ready?.task.id;
  if (aheadId !== undefined) {
    api.post(`reviews/${aheadId}/renew/`).catch((error) => {
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
    el.leaseWarning.textContent = "";
    scheduleRenewal();
  } catch (error) {
    if (!(error instanceof ApiError)) {
      scheduleRenewal(RENEWAL_RETRY_MS);
    } else if (error.isLoggedOut) {
      loggedOut();
    } else if (error.isConflict) {
      state.heldReviewId = null;
      if (state.task?.id === reviewId) loseLease(error.detail);
    } else {
      const file = state.task?.image.file_name ?? "this image";
      el.leaseWarning.textContent = `Your hold on ${file} could not be renewed (${error.detail}). Keep this page open and check your connection; the page keeps trying.`;
      scheduleRenewal(RENEWAL_RETRY_MS);
    }
  }
}

// ---- changes -----------------------------------------------------------------------------

// Set fields of one mistake's judgment on screen and save them.
function judge(mistake, changes) {
  const moved = {};
  for (const [field, value] of Object.entries(changes)) {
    if ((mistake[field] || "") === value) continue;
    moved[field] = value;
    mistake[field] = value;
  }
  if (!Object.keys(moved).length) return false;
  mistake.unsaved = false;
  paint(itemOf(mistake), mistake);
  updateCounts();
  const reviewId = state.task.id;
  save({
    run: async (version) => {
      const answer = await api.put(`mistake-reviews/items/${reviewId}/judgments/`, {
        judgments: { [mistake.id]: moved },
        version,
      });
      const stored = answer.judgments[String(mistake.id)];
      if (stored && state.task?.id === reviewId) mistake.saved = stored;
      return answer;
    },
  });
  return true;
}

// A choice made with a key: once the mistake has both parts, the next one to judge is selected.
function choose(field, value) {
  const mistake = state.mistakes[state.selected];
  if (!mistake) return;
  judge(mistake, { [field]: value });
  if (isJudged(mistake)) {
    const after = state.mistakes.findIndex((other, at) => at > state.selected && !isJudged(other));
    const before = state.mistakes.findIndex((other) => !isJudged(other));
    const next = after >= 0 ? after : before;
    if (next >= 0) select(next);
  }
}

function saveNote(mistake, note) {
  const reviewId = state.task.id;
  mistake.note = note;
  save({
    key: `note:${reviewId}:${mistake.id}`,
    run: (version) =>
      api.put(`mistake-reviews/items/${reviewId}/judgments/`, {
        judgments: { [mistake.id]: { note } },
        version,
      }),
  });
}

function noteChanged(field) {
  const item = field.closest("li.mistake");
  const mistake = state.mistakes.find((m) => String(m.id) === item?.dataset.mistake);
  if (!mistake || readOnly()) return;
  clearTimeout(textTimers.get(field)?.timer);
  setStatus("editing", "Editing…");
  textTimers.set(field, {
    mistake,
    timer: setTimeout(() => {
      textTimers.delete(field);
      saveNote(mistake, field.value);
    }, TEXT_SAVE_DELAY_MS),
  });
}

function flushText() {
  for (const [field, { mistake, timer }] of textTimers) {
    clearTimeout(timer);
    textTimers.delete(field);
    saveNote(mistake, field.value);
  }
}

// ---- moving between images ---------------------------------------------------------------

async function leaving() {
  flushText();
  await saver.idle();
  return !state.lost;
}

function submitRefused(error) {
  return `Not submitted: ${error.detail}`;
}

async function submit() {
  if (state.busy || !state.task || state.lost) return;
  if (readOnly()) {
    location.assign(app.dataset.homeUrl); // a closed review: nothing to go on to
    return;
  }
  const missing = state.mistakes.findIndex((mistake) => !isJudged(mistake));
  if (missing >= 0) {
    const mistake = state.mistakes[missing];
    select(missing);
    setStatus(
      "error",
      `Judge every mistake first: the prediction “${mistake.predicted_name}” has no ${missingOf(mistake)} yet.`,
    );
    return;
  }
  state.busy = true;
  el.submit.disabled = true;
  const task = state.task;
  try {
    flushText();
    const judgments = Object.fromEntries(
      state.mistakes.map((m) => [m.id, { category: m.category, severity: m.severity, note: m.note ?? "" }]),
    );
    const seconds = takeSeconds(task.id);
    const stored = await new Promise((resolve) => {
      save({
        savingText: `Submitting ${task.image.file_name}…`,
        savedText: task.status === "draft" ? `Submitted ${task.image.file_name}` : `Saved ${task.image.file_name}`,
        refusedText: submitRefused,
        keepOnRefusal: true,
        run: (version) =>
          api.post(`mistake-reviews/items/${task.id}/submit/`, {
            seconds_spent: seconds,
            judgments,
            version,
          }),
        done: () => resolve(true),
        failed: () => resolve(false),
      });
    });
    if (!stored) return;
    if (state.heldReviewId === task.id) state.heldReviewId = null;
    const reopened = Boolean(app.dataset.review);
    if (!reopened && ahead.ready && ahead.ready.task.id !== task.id) {
      swapIn(takeAhead());
      prefetchAhead();
    } else {
      await claimNext();
    }
    if (state.task) {
      setStatus("saved", `${task.status === "draft" ? "Submitted" : "Saved"} ${task.image.file_name}`, {
        notice: false,
      });
    }
  } catch (error) {
    failed(error, () => nextImage());
  } finally {
    el.submit.disabled = false;
    state.busy = false;
  }
}

async function skip() {
  if (state.busy || !state.task || state.lost || readOnly()) return;
  if (state.task.status !== "draft") {
    announce("A submitted image cannot be skipped: press Enter to go on.");
    return;
  }
  state.busy = true;
  const task = state.task;
  try {
    if (!(await leaving())) return;
    noteVersion(
      task.id,
      await api.post(`mistake-reviews/items/${task.id}/skip/`, { version: versions.get(task.id) }),
    );
    if (state.heldReviewId === task.id) state.heldReviewId = null;
    if (!app.dataset.review && ahead.ready) {
      swapIn(takeAhead());
      prefetchAhead();
    } else {
      await claimNext();
    }
    if (state.task) setStatus("saved", `Skipped ${task.image.file_name}`, { notice: false });
  } catch (error) {
    failed(error, () => skip());
  } finally {
    state.busy = false;
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
    state.busy = false;
  }
}

// ---- zoom and pan (static/js/zoom.js) ------------------------------------------------------

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

// ---- pointer input -----------------------------------------------------------------------

function mistakeOfElement(element) {
  const item = element.closest("li.mistake");
  if (!item) return [null, -1];
  const position = [...el.mistakes.children].indexOf(item);
  return [state.mistakes[position], position];
}

// A radio changed by a click or the arrow keys inside its group.
el.mistakes.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "radio") return;
  const [mistake, position] = mistakeOfElement(input);
  if (!mistake || readOnly() || state.busy) return;
  if (position !== state.selected) select(position, { focus: false, scroll: false });
  judge(mistake, { [input.dataset.field]: input.value });
});

// Whatever is used in a mistake's card selects it.
el.mistakes.addEventListener("focusin", (event) => {
  const [, position] = mistakeOfElement(event.target);
  if (position >= 0 && position !== state.selected) select(position, { focus: false, scroll: false });
});

el.mistakes.addEventListener("click", (event) => {
  if (event.target.closest("a, input, label, textarea")) return;
  const [, position] = mistakeOfElement(event.target);
  if (position >= 0) select(position);
});

el.mistakes.addEventListener("input", (event) => {
  if (event.target.classList?.contains("note")) noteChanged(event.target);
});
el.mistakes.addEventListener("focusout", (event) => {
  if (event.target.classList?.contains("note")) flushText();
});

el.submit.addEventListener("click", () => submit());
el.skip.addEventListener("click", () => skip());
el.nextImage.addEventListener("click", () => nextImage());
el.helpButton.addEventListener("click", () => el.help.showModal());

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
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (event.key === "?") {
    event.preventDefault();
    el.help.showModal();
    return;
  }
  if (event.repeat && ONCE_KEYS.has(key)) {
    event.preventDefault();
    return;
  }
  if (!state.task || state.lost) return;
  if (state.busy) {
    if (CHANGE_KEYS.has(key) || key === "Enter") {
      event.preventDefault();
      announce("Wait a moment: the page is moving to the next image.");
    }
    return;
  }
  // Inside a group of choices the arrow keys change the choice (the browser's own radio
  // buttons); on the zoomed picture they pan.
  const radio = target instanceof HTMLInputElement && target.type === "radio";
  if (event.key.startsWith("Arrow") && (radio || (target === el.viewport && zoom.on))) return;
  if (readOnly() && CHANGE_KEYS.has(key)) {
    event.preventDefault();
    announce("Read only: these judgments can no longer be changed. Enter goes back to the review sets.");
    return;
  }

  let handled = true;
  if (CATEGORY_KEYS.has(key)) {
    choose("category", CATEGORY_KEYS.get(key).value);
  } else if (SEVERITY_KEYS.has(key)) {
    choose("severity", SEVERITY_KEYS.get(key).value);
  } else if (key === "ArrowDown") {
    select(state.selected + 1);
  } else if (key === "ArrowUp") {
    select(state.selected - 1);
  } else if (key === "x") {
    const mistake = state.mistakes[state.selected];
    if (mistake) judge(mistake, { category: "", severity: "" });
  } else if (key === "e") {
    el.mistakes.children[state.selected]?.querySelector(".note")?.focus();
  } else if (key === "z") {
    zoom.toggle();
  } else if (key === "+" || key === "=") {
    zoom.by(ZOOM_STEP);
  } else if (key === "-") {
    zoom.by(1 / ZOOM_STEP);
  } else if (key === "Enter") {
    if (target.closest?.("button, a, summary, dialog")) return; // presses it, follows it
    submit();
  } else if (key === "s") {
    skip();
  } else {
    handled = false;
  }
  if (handled) event.preventDefault();
}

document.addEventListener("keydown", onKeyDown);

// Changes typed just before the page closes are still sent (the requests use keepalive), and
// the image claimed ahead goes back to the queue.
window.addEventListener("pagehide", () => {
  flushText();
  releaseAhead();
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) prefetchAhead();
});
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
