// The lead's adjudication page: one image of the queue at a time, keyboard first.
//
// GET /api/adjudication/queue/[?after=N] gives the next image's case (204 when nothing is left),
// GET /api/adjudication/images/N/ any image's (a jump from the queue's list, or ?image=N in the
// page's address, which follows the image on screen so that a reload keeps it); the list itself
// (GET /api/adjudication/queue/images/) is read again with every image shown. Each decision is
// a PUT that answers the image's case again, so the tables, the consensus, the position and
// the queue's counts always show what the server holds. The requests go through the pages' one
// API client (static/js/api.js), which tries a lost connection or a server error again; the
// problem reasons' labels come from the server (reviews.verdicts.ProblemReason) in the page.
//
// The labels the experts disagree on come first, numbered 1, 2, ...; those they agree on follow
// in a folded <details> (a key that selects one of them opens it).

import { createApi, withRetry } from "../api.js";
import { createZoom, ZOOM_STEP } from "../zoom.js";

const app = document.getElementById("adjudication-app");
const api = createApi(app.dataset.apiRoot);
const $ = (id) => document.getElementById(id);
const el = {
  case: $("case"),
  withCase: app.querySelectorAll("[data-with-case]"),
  fileName: $("file-name"),
  position: $("queue-position"),
  counts: $("queue-counts"),
  status: $("save-status"),
  message: $("adjudication-message"),
  messageText: $("adjudication-message-text"),
  viewport: $("viewport"),
  picture: $("picture"),
  originalName: $("original-name"),
  originalWnid: $("original-wnid"),
  imageLink: $("image-link"),
  originalLink: $("original-link"),
  standIn: $("stand-in"),
  published: $("published"),
  disputed: $("disputed"),
  noDisagreement: $("no-disagreement"),
  head: $("verdict-head"),
  rows: $("verdict-rows"),
  agreed: $("agreed"),
  agreedSummary: $("agreed-summary"),
  agreedHead: $("agreed-head"),
  agreedRows: $("agreed-rows"),
  openCount: $("open-count"),
  flag: $("flag"),
  flagState: $("flag-state"),
  confirm: $("confirm-flag"),
  dismiss: $("dismiss-flag"),
  notes: $("expert-notes"),
  note: $("decision-note"),
  queueSize: $("queue-size"),
  queueList: $("queue-list"),
  help: $("help"),
};
const VALUES = ["correct", "wrong", "unclear"];
// {code: label} of the problem reasons, as the server names them.
const REASONS = JSON.parse(document.getElementById("problem-reasons").textContent);
// case: the image on screen; rows: its labels in the order shown (the disagreeing ones, then
// the agreeing ones); selected: a position in rows; queue: the list of the queue.
const state = { case: null, rows: [], disputed: 0, selected: 0, queue: [] };

const zoom = createZoom(
  {
    viewport: el.viewport,
    picture: el.picture,
    button: $("zoom-button"),
    zoomIn: $("zoom-in"),
    zoomOut: $("zoom-out"),
    level: $("zoom-level"),
  },
  () =>
    state.case && {
      original: state.case.picture_urls.original,
      width: state.case.width,
      height: state.case.height,
    },
);

function setStatus(text, kind) {
  el.status.textContent = text;
  el.status.dataset.state = kind;
}

function node(tag, props = {}, ...children) {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function pill(value) {
  return value
    ? node("span", { className: `pill ${value}`, textContent: value })
    : node("span", { className: "pill none", textContent: "—" });
}

function isOpen(row) {
  return row.disagree && !row.adjudication;
}

function openOnScreen(data) {
  return {
    labels: data.labels.filter(isOpen).length,
    flag: data.flag.flagged && !data.flag.decision,
  };
}

// ---- the bar: position and counts -------------------------------------------------------

function renderCounts(data) {
  const { queue } = data;
  el.counts.textContent =
    `${plural(queue.images, "image")} need${queue.images === 1 ? "s" : ""} a lead: ` +
    `${plural(queue.labels, "disagreeing label")}, ${plural(queue.flags, "flag")}.`;
  if (queue.position) {
    el.position.textContent = `${queue.position} of ${queue.images}`;
  } else {
    const wasQueued = state.queue.some((item) => item.number === data.number);
    const where = wasQueued ? "Decided" : "Not in the queue";
    el.position.textContent = `${where} · ${queue.images} waiting`;
  }
}

// ---- the labels ---------------------------------------------------------------------------

function headCells(data) {
  return [
    node("th", { scope: "col", textContent: "Label" }),
    ...data.experts.map((column) => node("th", { scope: "col", textContent: column.expert })),
    node("th", { scope: "col", textContent: "Your decision" }),
    node("th", { scope: "col", textContent: "Consensus" }),
  ];
}

function rowElement(data, row, position) {
  const buttons = VALUES.map((value) =>
    node(
      "button",
      {
        type: "button",
        className: `verdict ${value}`,
        ariaPressed: String(row.adjudication?.value === value),
        disabled: Boolean(data.published_in),
        onclick: () => decideLabel(position, value),
      },
      value[0].toUpperCase() + value.slice(1),
      " ",
      node("kbd", { textContent: value[0] }),
    ),
  );
  const decided = row.adjudication
    ? node("span", {
        className: "decided-by",
        textContent: `${row.adjudication.decided_by}, ${new Date(row.adjudication.decided_at).toLocaleString()}`,
        title: row.adjudication.note,
      })
    : null;
  const label = node(
    "th",
    { scope: "row" },
    node("span", { className: "label-key", textContent: position < 9 ? String(position + 1) : "" }),
    " ",
    node("a", {
      href: app.dataset.classUrl.replace("/0/", `/${row.label}/`),
      target: "_blank",
      rel: "noopener",
      textContent: row.name,
    }),
    " ",
    node("span", { className: "wnid", textContent: row.wnid }),
    ...(row.label === data.original_label.label
      ? [" ", node("span", { className: "badge", textContent: "original" })]
      : []),
  );
  const selected = position === state.selected;
  return node(
    "tr",
    {
      className: `${isOpen(row) ? "open" : ""} ${selected ? "selected" : ""}`.trim(),
      ariaSelected: String(selected),
      onclick: () => select(position, { reveal: false }),
    },
    label,
    ...row.verdicts.map((value) => node("td", {}, pill(value))),
    node(
      "td",
      {},
      node("div", { className: "verdict-buttons", role: "group" }, ...buttons),
      decided,
    ),
    node("td", { className: "consensus" }, pill(row.consensus)),
  );
}

function renderLabels(data) {
  el.head.replaceChildren(...headCells(data));
  el.agreedHead.replaceChildren(...headCells(data));
  const rows = state.rows.map((row, position) => rowElement(data, row, position));
  el.rows.replaceChildren(...rows.slice(0, state.disputed));
  el.agreedRows.replaceChildren(...rows.slice(state.disputed));
  el.disputed.hidden = state.disputed === 0;
  el.noDisagreement.hidden = state.disputed > 0;
  const agreed = state.rows.length - state.disputed;
  el.agreed.hidden = agreed === 0;
  el.agreedSummary.textContent = `${plural(agreed, "label")} the panel agrees on`;
  const open = openOnScreen(data).labels;
  el.openCount.textContent = state.disputed ? (open ? `${open} to decide` : "all decided") : "";
}

// ---- the flag and the experts' notes ----------------------------------------------------------

function renderFlag(data) {
  const { flagged, problematic, decision } = data.flag;
  el.flag.hidden = !flagged;
  const flaggers = data.experts.filter((column) => column.problem_reasons.length);
  let text = `Flagged by ${flaggers.map((column) => column.expert).join(", ")}. `;
  if (decision) {
    text += `${decision.confirmed ? "Confirmed" : "Dismissed"} by ${decision.decided_by}. `;
  } else {
    text += "Not decided yet. ";
  }
  text += problematic ? "The image is problematic." : "The image is not problematic.";
  el.flagState.textContent = text;
  el.confirm.ariaPressed = String(decision?.confirmed === true);
  el.dismiss.ariaPressed = String(decision?.confirmed === false);
  el.confirm.disabled = el.dismiss.disabled = Boolean(data.published_in);
}

function renderNotes(data) {
  const items = data.experts.map((column) => {
    const parts = [];
    if (column.problem_reasons.length) {
      parts.push(
        node("p", {
          className: "flagged",
          // "; " between the reasons: a label may have commas of its own.
          textContent: `Flagged: ${column.problem_reasons.map((r) => REASONS[r] || r).join("; ")}${column.problem_note ? ` — “${column.problem_note}”` : ""}`,
        }),
      );
    }
    if (column.comment) parts.push(node("p", { textContent: `“${column.comment}”` }));
    if (!parts.length) parts.push(node("p", { className: "hint", textContent: "No flag, no comment." }));
    return node(
      "li",
      {},
      node("strong", { textContent: column.expert }),
      node("span", {
        className: "hint",
        textContent: ` ${column.review_set}, submitted ${new Date(column.submitted_at).toLocaleString()}`,
      }),
      ...parts,
    );
  });
  el.notes.replaceChildren(...items);
}

// ---- the queue's list -----------------------------------------------------------------------

function queueFacts(open) {
  const parts = [];
  if (open.labels) parts.push(plural(open.labels, "label"));
  if (open.flag) parts.push("flag");
  return parts.length ? parts.join(", ") : "decided";
}

function queueItem(item, index) {
  const link = node(
    "a",
    { href: `?image=${item.number}` },
    node("span", { className: "queue-index", textContent: String(index + 1) }),
    node("span", { className: "file-name", textContent: item.file_name }),
    node("span", { className: "queue-facts" }),
  );
  link.dataset.number = String(item.number);
  return node("li", {}, link);
}

// What is open on a line: for the image on screen, what the page shows now; for the others,
// what was open when the list was read.
function markQueueItem(element, item) {
  const current = item.number === state.case?.number;
  const open = current
    ? openOnScreen(state.case)
    : { labels: item.open_labels, flag: item.open_flag };
  const facts = queueFacts(open);
  const link = element.firstChild;
  link.lastChild.textContent = `${item.original_name} · ${facts}`;
  if (current) link.setAttribute("aria-current", "true");
  else link.removeAttribute("aria-current");
  element.classList.toggle("done", facts === "decided");
}

// The list is built when it is read again (with each image shown); a decision changes only the
// line of the image on screen.
let listed = null;

function renderQueue() {
  const lines = el.queueList.children;
  if (listed === state.queue) {
    const index = state.queue.findIndex((item) => item.number === state.case?.number);
    if (index >= 0) markQueueItem(lines[index], state.queue[index]);
    return;
  }
  listed = state.queue;
  el.queueSize.textContent = plural(state.queue.length, "image");
  el.queueList.replaceChildren(...state.queue.map(queueItem));
  state.queue.forEach((item, index) => markQueueItem(lines[index], item));
  // Keep the current image in view when the list scrolls (the list only, not the page).
  const mark = el.queueList.querySelector("[aria-current]")?.parentElement;
  if (mark && el.queueList.scrollHeight > el.queueList.clientHeight) {
    el.queueList.scrollTop = mark.offsetTop - el.queueList.clientHeight / 3;
  }
}

// ---- one image ------------------------------------------------------------------------------

function render() {
  const data = state.case;
  el.fileName.textContent = `· ${data.file_name}`;
  el.originalName.textContent = data.original_label.name;
  el.originalName.href = app.dataset.classUrl.replace("/0/", `/${data.original_label.label}/`);
  el.originalWnid.textContent = data.original_label.wnid;
  el.imageLink.href = app.dataset.imageUrl.replace("/0/", `/${data.number}/`);
  el.originalLink.href = data.picture_urls.original;
  el.standIn.hidden = !data.is_stand_in;
  el.published.hidden = !data.published_in;
  el.published.textContent = data.published_in
    ? `Release ${data.published_in} labels this image: it can no longer change.`
    : "";
  renderLabels(data);
  renderFlag(data);
  renderNotes(data);
  renderCounts(data);
  renderQueue();
}

function showPicture(data) {
  zoom.reset();
  el.picture.alt = `${data.file_name}, original label ${data.original_label.name}`;
  // The original's size keeps the picture's shape while it loads.
  if (data.width && data.height) {
    el.picture.width = data.width;
    el.picture.height = data.height;
  } else {
    el.picture.removeAttribute("width");
    el.picture.removeAttribute("height");
  }
  el.picture.src = data.picture_urls.display;
}

function arrange(data) {
  const disputed = data.labels.filter((row) => row.disagree);
  state.rows = [...disputed, ...data.labels.filter((row) => !row.disagree)];
  state.disputed = disputed.length;
}

// `data`: an image's case, or null when nothing needs a lead; `queue`: the queue's list.
function show(data, queue) {
  const previous = state.case?.number;
  state.case = data;
  state.queue = queue ?? [];
  for (const part of el.withCase) part.hidden = !data;
  if (!data) {
    zoom.reset();
    el.case.hidden = true;
    el.fileName.textContent = "";
    el.note.value = "";
    el.picture.removeAttribute("src");
    el.message.hidden = false;
    el.messageText.textContent = "Nothing needs a lead: every disagreement and every flag is decided.";
    el.queueList.replaceChildren();
    history.replaceState(null, "", location.pathname);
    return;
  }
  el.message.hidden = true;
  el.case.hidden = false;
  arrange(data);
  if (data.number !== previous) {
    // A new image: the note was about the last one, and the work starts at the top.
    el.note.value = "";
    el.agreed.open = false;
    showPicture(data);
    window.scrollTo({ top: 0 });
    history.replaceState(null, "", `?image=${data.number}`);
  }
  const open = state.rows.findIndex(isOpen);
  state.selected = open >= 0 ? open : 0;
  render();
}

// Actions run one after another in the order of the keys, so a key pressed while a decision is
// still being saved is not lost.
let chain = Promise.resolve();

function run(action, saving = true) {
  chain = chain.then(async () => {
    if (saving) setStatus("Saving…", "saving");
    try {
      await withRetry(action, {
        onRetry: (error) =>
          setStatus(`${saving ? "Not saved yet: " : ""}${error.detail} Trying again…`, "error"),
      });
      if (saving) setStatus("Saved", "saved");
    } catch (error) {
      setStatus(error.message, "error");
    }
  });
  return chain;
}

// The case at `path` and the queue's list, read together.
function open(path) {
  return run(async () => {
    const [data, queue] = await Promise.all([
      api.get(path),
      api.get("adjudication/queue/images/"),
    ]);
    if (!data && state.case?.queue.position) {
      // The image on screen is the only one left: it stays, and the page says so.
      state.queue = queue;
      render();
      setStatus("No other image needs a lead.", "idle");
      return;
    }
    show(data, queue);
  }, false);
}

function nextImage() {
  return open(`adjudication/queue/${state.case ? `?after=${state.case.number}` : ""}`);
}

function openImage(number) {
  return open(`adjudication/images/${number}/`);
}

// The image named in the page's address (a reload, a link), else the first one of the queue;
// an address naming no image shows the queue's first too.
async function start() {
  const asked = new URLSearchParams(location.search).get("image");
  if (asked && /^\d+$/.test(asked)) {
    await openImage(Number(asked));
    if (state.case) return;
    history.replaceState(null, "", location.pathname);
  }
  await nextImage();
}

function select(position, { reveal = true } = {}) {
  if (!state.case || !state.rows.length) return;
  state.selected = Math.max(0, Math.min(state.rows.length - 1, position));
  // A label chosen by key among the folded ones unfolds them.
  if (reveal && state.selected >= state.disputed) el.agreed.open = true;
  renderLabels(state.case);
  const body = state.selected < state.disputed ? el.rows : el.agreedRows;
  const offset = state.selected < state.disputed ? 0 : state.disputed;
  body.children[state.selected - offset]?.scrollIntoView({ block: "nearest" });
}

// The next label that still needs a decision after `position`, wrapping round; else `position`.
function nextOpen(position) {
  const count = state.rows.length;
  for (let step = 1; step <= count; step += 1) {
    const candidate = (position + step) % count;
    if (isOpen(state.rows[candidate])) return candidate;
  }
  return position;
}

function decideLabel(position, value) {
  const row = state.rows[position];
  if (!row) return;
  state.selected = position;
  const { number } = state.case; // the image on screen when the key was pressed
  return run(async () => {
    const data = await api.put(`adjudication/images/${number}/labels/${row.label}/`, {
      value,
      note: el.note.value,
    });
    state.case = data;
    arrange(data);
    state.selected = nextOpen(state.rows.findIndex((shown) => shown.label === row.label));
    render();
  });
}

function decideFlag(confirmed) {
  if (!state.case?.flag.flagged) return;
  const { number } = state.case;
  return run(async () => {
    state.case = await api.put(`adjudication/images/${number}/flag/`, {
      confirmed,
      note: el.note.value,
    });
    arrange(state.case);
    render();
  });
}

// Enter on a button, link or summary the lead can see presses it; the help dialog's Close
// button may keep the focus for a moment after the dialog closes, and must not swallow Enter.
function onVisibleControl(target) {
  const control = target.closest?.("button, a, summary");
  return Boolean(control && control.offsetParent !== null);
}

function onKeyDown(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = event.target.closest?.("textarea, input");
  if (typing) {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  if (el.help.open) return;
  const key = event.key;
  // On the zoomed picture the arrow keys pan (the browser scrolls it).
  if (event.target === el.viewport && zoom.on && key.startsWith("Arrow")) return;
  let handled = true;
  if (key === "?") el.help.showModal();
  else if (key === "Enter" && !onVisibleControl(event.target)) nextImage();
  else if (!state.case) handled = false;
  else if (/^[1-9]$/.test(key)) select(Number(key) - 1);
  else if (key === "j" || key === "ArrowDown") select(state.selected + 1);
  else if (key === "k" || key === "ArrowUp") select(state.selected - 1);
  else if (key === "c" || key === "w" || key === "u")
    decideLabel(state.selected, { c: "correct", w: "wrong", u: "unclear" }[key]);
  else if (key === "y") decideFlag(true);
  else if (key === "n") decideFlag(false);
  else if (key === "e") el.note.focus();
  else if (key === "z") zoom.toggle();
  else if (key === "+" || key === "=") zoom.by(ZOOM_STEP);
  else if (key === "-") zoom.by(1 / ZOOM_STEP);
  else handled = false;
  if (handled) event.preventDefault();
}

document.addEventListener("keydown", onKeyDown);
$("help-button").addEventListener("click", () => el.help.showModal());
el.help.addEventListener("close", () => document.activeElement?.blur());
$("next-button").addEventListener("click", nextImage);
$("reload-button").addEventListener("click", () => {
  state.case = null;
  nextImage();
});
el.confirm.addEventListener("click", () => decideFlag(true));
el.dismiss.addEventListener("click", () => decideFlag(false));
// Folding the agreeing labels away leaves no hidden label selected for the next key.
el.agreed.addEventListener("toggle", () => {
  if (!el.agreed.open && state.case && state.selected >= state.disputed) {
    select(Math.max(0, state.disputed - 1), { reveal: false });
  }
});
// A jump to a queued image (a plain click or Enter; with a modifier the browser opens a tab).
el.queueList.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-number]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  link.blur(); // the keys go on working on the image (Enter: the next one)
  openImage(Number(link.dataset.number));
});

start();
