// The class search combobox shared by the review page (add a class as a label) and the blind
// labelling page (answer with one class): GET /api/classes/?q= finds the classes by index,
// wnid, name, synonym or gloss and ranks them (annotator/class_search.py); this module shows
// that answer in the server's order, every match in a scrolling listbox with their count,
// ↓ ↑ through them, Enter chooses, Esc closes.

const SEARCH_DELAY_MS = 120;

// The matches (the API's `match`) that say which class was meant: the index, the wnid, the
// class's name exactly or its start, or a synonym exactly. With `requireDecisive`, Enter takes
// the top match only if it is one of these; annotator/class_search.py (DECISIVE) holds the same.
const DECISIVE = new Set(["index", "wnid", "name", "name prefix", "synonym"]);

const plural = (count, one, many) => `${count} ${count === 1 ? one : many}`;

/**
 * Make `input` (role=combobox) search the classes into the listbox `results`, with `status` as
 * its live hint (the count of matches and what the keys do).
 *
 * - `find(query, {signal})` fetches the ranked classes ({results, count}).
 * - `taken(choice)` returns a note (e.g. "already a label") for a class that cannot be chosen.
 * - `onChoose(choice)` gets the chosen class; `onTaken(choice)` one that cannot be chosen.
 * - `onEscape()` runs on Esc when the matches are already closed and the search is cleared.
 * - `verb` ends the hint: "Enter to <verb>".
 * - `requireDecisive`: Enter (and `choose()`) takes the top match only when it is the class's
 *   index, wnid, name or a prefix of it, or a whole synonym; any other top match needs an
 *   explicit choice (↓ ↑ or a click), and the hint says so.
 *
 * Returns {close, clear, choose}: `choose()` picks the highlighted match (running a pending
 * search first) and resolves true when it handled the request (a class chosen, or the person
 * asked to choose one explicitly), false when nothing matched.
 */
export function createClassSearch({
  input,
  results,
  status,
  find,
  taken = () => "",
  onChoose,
  onTaken = () => {},
  onEscape = () => {},
  verb = "add",
  idPrefix = "class-option",
  requireDecisive = false,
}) {
  const search = {
    timer: null,
    abort: null,
    pending: null,
    query: "",
    results: [],
    total: 0,
    active: -1,
    picked: false, // the person moved to a match (arrows) rather than taking the top one
  };
  const idle = status.textContent;

  function say(text, { attention = false } = {}) {
    status.textContent = text;
    status.classList.toggle("class-search-attention", attention);
  }

  function close() {
    clearTimeout(search.timer);
    search.timer = null;
    search.abort?.abort();
    search.pending = null;
    search.results = [];
    search.total = 0;
    search.active = -1;
    search.picked = false;
    results.hidden = true;
    results.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    say(idle);
  }

  function option(choice, position) {
    const item = document.createElement("li");
    item.id = `${idPrefix}-${position}`;
    item.setAttribute("role", "option");
    item.dataset.position = position;
    item.dataset.index = choice.index;
    item.setAttribute("aria-selected", String(position === search.active));
    const note = taken(choice);
    if (note) item.setAttribute("aria-disabled", "true");
    const name = document.createElement("span");
    name.className = "option-name";
    name.textContent = choice.name;
    const wnid = document.createElement("span");
    wnid.className = "wnid";
    wnid.textContent = ` ${choice.wnid} · class ${choice.index}${note ? ` · ${note}` : ""}`;
    const details = document.createElement("span");
    details.className = "option-gloss";
    const synonyms = choice.names.slice(1);
    details.textContent =
      (synonyms.length ? `also: ${synonyms.join(", ")}. ` : "") + (choice.gloss ?? "");
    item.append(name, wnid, details);
    return item;
  }

  // The top match is taken by Enter only if it says which class was meant, or was picked.
  function needsChoice() {
    return (
      requireDecisive &&
      !search.picked &&
      search.active === 0 &&
      !DECISIVE.has(search.results[0]?.match)
    );
  }

  function hint() {
    const shown = search.results.length;
    if (!shown) return `No class matches “${search.query}”.`;
    const count =
      search.total > shown
        ? `${shown} of ${search.total} matching classes shown`
        : `${plural(search.total, "class matches", "classes match")}`;
    if (needsChoice()) {
      return (
        `${count}. “${search.query}” is not the first one’s name nor its start: ` +
        "choose with ↓ ↑ or a click, then Enter."
      );
    }
    return shown === 1
      ? `${count}: Enter to ${verb}.`
      : `${count}: ↓ ↑ to choose, Enter to ${verb}.`;
  }

  function render() {
    results.replaceChildren(...search.results.map(option));
    results.scrollTop = 0;
    const shown = search.results.length;
    results.hidden = !shown;
    input.setAttribute("aria-expanded", String(Boolean(shown)));
    showActive();
    say(hint());
  }

  // `scroll`: bring the active match into view (on ↓ ↑; a new answer leaves the page still).
  function showActive({ scroll = false } = {}) {
    // A top match that Enter would not take is drawn as a suggestion, not as the choice.
    results.classList.toggle("class-results-tentative", needsChoice());
    for (const item of results.querySelectorAll('[aria-selected="true"]')) {
      item.setAttribute("aria-selected", "false");
    }
    const item = results.children[search.active];
    if (!item) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    item.setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", item.id);
    if (scroll) item.scrollIntoView({ block: "nearest" });
  }

  function run(query) {
    clearTimeout(search.timer);
    search.timer = null;
    search.abort?.abort();
    const controller = new AbortController();
    search.abort = controller;
    const pending = (async () => {
      try {
        const page = await find(query, { signal: controller.signal });
        if (controller.signal.aborted) return;
        search.query = query;
        search.results = page.results;
        search.total = page.count ?? page.results.length;
        search.active = search.results.length ? 0 : -1;
        search.picked = false;
        render();
      } catch (error) {
        if (error.name !== "AbortError") say(`Search failed: ${error.message}`);
      } finally {
        if (search.pending === pending) search.pending = null;
      }
    })();
    search.pending = pending;
    return pending;
  }

  function chooseAt(position) {
    const choice = search.results[position];
    if (!choice) return false;
    if (taken(choice)) {
      onTaken(choice);
      return true;
    }
    close();
    input.value = "";
    onChoose(choice);
    return true;
  }

  function move(step) {
    const count = search.results.length;
    if (!count) return;
    search.active = (search.active + step + count) % count;
    const first = !search.picked;
    search.picked = true;
    showActive({ scroll: true });
    if (first && requireDecisive) say(hint());
  }

  // Enter right after typing: the search waiting for its delay (or still on its way) runs
  // first, so that the answer is the match the person would have seen highlighted.
  async function choose() {
    const query = input.value.trim();
    if (query && (search.timer !== null || search.pending)) {
      await (search.timer !== null ? run(query) : search.pending);
      if (input.value.trim() !== query) return false;
    }
    if (needsChoice()) {
      say(
        `Enter did not ${verb} ${search.results[0].name}: “${search.query}” is neither its ` +
          "name nor its start. Choose the class with ↓ ↑ or a click, then Enter.",
        { attention: true },
      );
      input.focus(); // after a click on a button: back to the matches, which stay open
      return true;
    }
    return chooseAt(search.active >= 0 ? search.active : 0);
  }

  input.addEventListener("input", () => {
    clearTimeout(search.timer);
    const query = input.value.trim();
    if (!query) {
      close();
      return;
    }
    search.timer = setTimeout(() => run(query), SEARCH_DELAY_MS);
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      event.stopPropagation();
      choose();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      if (!results.hidden) {
        close();
      } else {
        input.value = "";
        onEscape();
      }
    }
  });

  input.addEventListener("blur", () => {
    // Let a click on an option land first.
    setTimeout(() => {
      if (document.activeElement !== input) close();
    }, 150);
  });

  results.addEventListener("mousedown", (event) => event.preventDefault());
  results.addEventListener("click", (event) => {
    const item = event.target.closest("[role=option]");
    if (item) chooseAt(Number(item.dataset.position));
  });

  return {
    close,
    clear() {
      close();
      input.value = "";
    },
    choose,
  };
}
