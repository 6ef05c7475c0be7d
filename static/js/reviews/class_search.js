// The class search combobox shared by the review page (add a class as a label) and the blind
// labelling page (answer with one class): the 1000 classes by name, synonym, wnid, index or
// gloss through GET /api/classes/?q=, ↓ ↑ through the matches, Enter chooses, Esc closes.

const SEARCH_DELAY_MS = 120;
const SEARCH_RESULTS = 12;

// Exact matches first, then names that start with the query, then words that do, then the rest
// in the server's order.
function rank(results, query) {
  const q = query.trim().toLowerCase();
  const score = (choice) => {
    const names = choice.names.map((name) => name.toLowerCase());
    if (String(choice.index) === q || choice.wnid === q || names.includes(q)) return 0;
    if (names.some((name) => name.startsWith(q))) return 1;
    if (names.some((name) => name.split(/[\s,'-]+/).some((word) => word.startsWith(q)))) return 2;
    if (names.some((name) => name.includes(q))) return 3;
    return 4;
  };
  return results
    .map((choice, order) => ({ choice, order, score: score(choice) }))
    .sort((a, b) => a.score - b.score || a.order - b.order)
    .map((entry) => entry.choice);
}

/**
 * Make `input` (role=combobox) search the classes into the listbox `results`, with `status` as
 * its live hint.
 *
 * - `find(query, {signal})` fetches a page of classes ({results, count}).
 * - `taken(choice)` returns a note (e.g. "already a label") for a class that cannot be chosen.
 * - `onChoose(choice)` gets the chosen class; `onTaken(choice)` one that cannot be chosen.
 * - `onEscape()` runs on Esc when the matches are already closed and the search is cleared.
 * - `verb` ends the hint: "Enter to <verb>".
 *
 * Returns {close, clear, choose}: `choose()` picks the highlighted match (running a pending
 * search first) and tells whether there was one.
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
}) {
  const search = { timer: null, abort: null, pending: null, results: [], active: -1 };
  const idle = status.textContent;

  function close() {
    clearTimeout(search.timer);
    search.timer = null;
    search.abort?.abort();
    search.pending = null;
    search.results = [];
    search.active = -1;
    results.hidden = true;
    results.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    status.textContent = idle;
  }

  function render(total) {
    results.replaceChildren(
      ...search.results.map((choice, position) => {
        const option = document.createElement("li");
        option.id = `${idPrefix}-${position}`;
        option.setAttribute("role", "option");
        option.dataset.position = position;
        option.setAttribute("aria-selected", String(position === search.active));
        const note = taken(choice);
        if (note) option.setAttribute("aria-disabled", "true");
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
        option.append(name, wnid, details);
        return option;
      }),
    );
    const shown = search.results.length;
    results.hidden = !shown;
    input.setAttribute("aria-expanded", String(Boolean(shown)));
    status.textContent = !shown
      ? "No class matches."
      : total > shown
        ? `${shown} of ${total} matching classes: type more to narrow them.`
        : `${shown} matching class${shown === 1 ? "" : "es"}: ↓ ↑ to choose, Enter to ${verb}.`;
    if (search.active >= 0) {
      input.setAttribute("aria-activedescendant", `${idPrefix}-${search.active}`);
    } else {
      input.removeAttribute("aria-activedescendant");
    }
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
        search.results = rank(page.results, query).slice(0, SEARCH_RESULTS);
        search.active = search.results.length ? 0 : -1;
        render(page.count ?? page.results.length);
      } catch (error) {
        if (error.name !== "AbortError") status.textContent = `Search failed: ${error.message}`;
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

  // Enter right after typing: the search waiting for its delay (or still on its way) runs
  // first, so that the answer is the match the person would have seen highlighted.
  async function choose() {
    const query = input.value.trim();
    if (query && (search.timer !== null || search.pending)) {
      await (search.timer !== null ? run(query) : search.pending);
      if (input.value.trim() !== query) return false;
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
      if (!search.results.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      search.active = (search.active + step + search.results.length) % search.results.length;
      render(search.results.length);
      results.children[search.active]?.scrollIntoView({ block: "nearest" });
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
    const option = event.target.closest("[role=option]");
    if (option) chooseAt(Number(option.dataset.position));
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
