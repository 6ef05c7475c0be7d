// The lead's adjudication page: one image of the queue at a time, keyboard first.
//
// GET /api/adjudication/queue/[?after=N] gives the next image's case (204 when nothing is left);
// each decision is a PUT that answers the image's case again, so the table, the consensus and
// the queue's counts always show what the server holds. The requests go through the pages' one
// API client (static/js/api.js), which tries a lost connection or a server error again; the
// problem reasons' labels come from the server (reviews.verdicts.ProblemReason) in the page.

import { createApi, withRetry } from "../api.js";

const app = document.getElementById("adjudication-app");
const api = createApi(app.dataset.apiRoot);
const $ = (id) => document.getElementById(id);
const el = {
  case: $("case"),
  fileName: $("file-name"),
  counts: $("queue-counts"),
  status: $("save-status"),
  message: $("adjudication-message"),
  messageText: $("adjudication-message-text"),
  picture: $("picture"),
  originalName: $("original-name"),
  originalWnid: $("original-wnid"),
  imageLink: $("image-link"),
  originalLink: $("original-link"),
  published: $("published"),
  head: $("verdict-head"),
  rows: $("verdict-rows"),
  openCount: $("open-count"),
  flag: $("flag"),
  flagState: $("flag-state"),
  confirm: $("confirm-flag"),
  dismiss: $("dismiss-flag"),
  notes: $("expert-notes"),
  note: $("decision-note"),
  help: $("help"),
};
const VALUES = ["correct", "wrong", "unclear"];
// {code: label} of the problem reasons, as the server names them.
const REASONS = JSON.parse(document.getElementById("problem-reasons").textContent);
const state = { case: null, selected: 0 };

function setStatus(text, kind) {
  el.status.textContent = text;
  el.status.dataset.state = kind;
}

function node(tag, props = {}, ...children) {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

function pill(value) {
  return value
    ? node("span", { className: `pill ${value}`, textContent: value })
    : node("span", { className: "pill none", textContent: "—" });
}

function isOpen(row) {
  return row.disagree && !row.adjudication;
}

function renderCounts(queue) {
  const s = (n) => (n === 1 ? "" : "s");
  el.counts.textContent =
    `${queue.images} image${s(queue.images)} need${queue.images === 1 ? "s" : ""} a lead: ` +
    `${queue.labels} disagreeing label${s(queue.labels)}, ${queue.flags} flag${s(queue.flags)}.`;
}

function renderTable(data) {
  el.head.replaceChildren(
    node("th", { scope: "col", textContent: "Label" }),
    ...data.experts.map((column) => node("th", { scope: "col", textContent: column.expert })),
    node("th", { scope: "col", textContent: "Your decision" }),
    node("th", { scope: "col", textContent: "Consensus" }),
  );
  el.rows.replaceChildren(
    ...data.labels.map((row, index) => {
      const buttons = VALUES.map((value) =>
        node(
          "button",
          {
            type: "button",
            className: `verdict ${value}`,
            ariaPressed: String(row.adjudication?.value === value),
            disabled: Boolean(data.published_in),
            onclick: () => decideLabel(index, value),
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
        node("span", { className: "label-key", textContent: index < 9 ? String(index + 1) : "" }),
        " ",
        node("a", {
          href: app.dataset.classUrl.replace("/0/", `/${row.label}/`),
          target: "_blank",
          rel: "noopener",
          textContent: row.name,
        }),
        " ",
        node("span", { className: "wnid", textContent: row.wnid }),
        row.disagree ? node("span", { className: "badge", textContent: "disagree" }) : null,
      );
      return node(
        "tr",
        {
          className: `${isOpen(row) ? "open" : ""} ${index === state.selected ? "selected" : ""}`,
          ariaSelected: String(index === state.selected),
          onclick: () => select(index),
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
    }),
  );
  const open = data.labels.filter(isOpen).length;
  el.openCount.textContent = open ? `${open} to decide` : "all decided";
}

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

function render() {
  const data = state.case;
  el.fileName.textContent = `· ${data.file_name}`;
  if (el.picture.dataset.number !== String(data.number)) {
    el.picture.src = data.picture_urls.display;
    el.picture.alt = `${data.file_name}, original label ${data.original_label.name}`;
    el.picture.dataset.number = String(data.number);
  }
  el.originalName.textContent = data.original_label.name;
  el.originalName.href = app.dataset.classUrl.replace("/0/", `/${data.original_label.label}/`);
  el.originalWnid.textContent = data.original_label.wnid;
  el.imageLink.href = app.dataset.imageUrl.replace("/0/", `/${data.number}/`);
  el.originalLink.href = data.picture_urls.original;
  el.published.hidden = !data.published_in;
  el.published.textContent = data.published_in
    ? `Release ${data.published_in} labels this image: it can no longer change.`
    : "";
  renderTable(data);
  renderFlag(data);
  renderNotes(data);
  renderCounts(data.queue);
}

function show(data) {
  state.case = data;
  if (!data) {
    el.case.hidden = true;
    el.fileName.textContent = "";
    el.message.hidden = false;
    el.messageText.textContent = "Nothing needs a lead: every disagreement and every flag is decided.";
    el.counts.textContent = "0 images need a lead.";
    return;
  }
  el.message.hidden = true;
  el.case.hidden = false;
  const open = data.labels.findIndex(isOpen);
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

function nextImage() {
  const after = state.case ? `?after=${state.case.number}` : "";
  return run(async () => show(await api.get(`adjudication/queue/${after}`)), false);
}

function select(index) {
  if (!state.case || !state.case.labels.length) return;
  const count = state.case.labels.length;
  state.selected = Math.max(0, Math.min(count - 1, index));
  renderTable(state.case);
  el.rows.children[state.selected]?.scrollIntoView({ block: "nearest" });
}

function decideLabel(index, value) {
  const row = state.case?.labels[index];
  if (!row) return;
  state.selected = index;
  const { number } = state.case; // the image on screen when the key was pressed
  return run(async () => {
    const data = await api.put(`adjudication/images/${number}/labels/${row.label}/`, {
      value,
      note: el.note.value,
    });
    state.case = data;
    // On to the next label that still needs a decision, else the next row.
    const open = data.labels.findIndex(isOpen);
    state.selected = open >= 0 ? open : Math.min(index + 1, data.labels.length - 1);
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
    render();
  });
}

// Enter on a button or link the lead can see presses it; the help dialog's Close button may keep
// the focus for a moment after the dialog closes, and must not swallow Enter.
function onVisibleControl(target) {
  const control = target.closest?.("button, a");
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

nextImage();
