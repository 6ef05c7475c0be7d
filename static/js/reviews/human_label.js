// The blind labelling page: the class search chooses the answer, and the seconds from the
// picture's load event to the answer go with it. The page is a plain form that works without
// this script (the server then times the answer from when it served the page); choosing a class
// fills in the form and sends it, and the server redirects to the next picture. The task is
// known by its token only: nothing here names the image.

import { createApi } from "../api.js";
import { createClassSearch } from "./class_search.js";

const byId = (id) => document.getElementById(id);
const app = byId("human-app");
const api = createApi(app.dataset.apiRoot);
const form = byId("answer-form");
const picture = byId("picture");
const input = byId("class-search");
const status = byId("class-search-status");
const labelField = byId("answer-label");
const secondsField = byId("answer-seconds");

// When the picture was shown. A picture that loaded before this module ran (from the cache)
// has its arrival in the resource timing entries.
let shownAt = null;
if (picture.complete && picture.naturalWidth) {
  const entry = performance.getEntriesByName(picture.currentSrc)[0];
  shownAt = entry ? entry.responseEnd : performance.now();
} else {
  picture.addEventListener("load", () => (shownAt ??= performance.now()), { once: true });
}

let sent = false;

function answer(choice) {
  if (sent) return;
  sent = true;
  labelField.value = String(choice.index);
  // Without a load event (a broken picture) the server's own timing is used.
  if (shownAt !== null) secondsField.value = ((performance.now() - shownAt) / 1000).toFixed(2);
  input.value = choice.name;
  input.readOnly = true;
  status.textContent = `Saving your answer: ${choice.name}…`;
  form.submit();
}

const search = createClassSearch({
  input,
  results: byId("class-results"),
  status,
  find: (query, options) => api.get(`classes/?q=${encodeURIComponent(query)}`, options),
  onChoose: answer,
  verb: "answer",
  // An answer is final: Enter takes the top match only when it is what was typed (the class's
  // name or its start, a whole synonym, its index or wnid), else the person picks one.
  requireDecisive: true,
});

// The Answer button picks the highlighted match as Enter does (and asks for an explicit choice
// in the same case); with no match the typed text goes to the server, which accepts a class
// index, a wnid or one class's exact name or synonym.
form.addEventListener("submit", (event) => {
  if (event.submitter?.name === "skip") return; // the form sends the skip as it is
  event.preventDefault();
  if (sent) return;
  search.choose().then((chosen) => {
    if (!chosen && !sent && input.value.trim()) {
      sent = true;
      if (shownAt !== null) {
        secondsField.value = ((performance.now() - shownAt) / 1000).toFixed(2);
      }
      form.submit();
    }
  });
});

document.addEventListener("keydown", (event) => {
  if (event.key === "/" && event.target !== input && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    input.focus();
    input.select();
  }
});

input.focus();
