// The new mistake review form (templates/mistakes/lead_new.html): a filter box over the model
// checkboxes (the testbed has 67), the number chosen, and buttons to choose the models shown or
// none. Without scripts the checkboxes are simply all listed.
const filter = document.getElementById("model-filter");
const choices = document.getElementById("model-choices");
const chosen = document.getElementById("models-chosen");
const noMatch = document.getElementById("model-no-match");

if (filter && choices) {
  const rows = [...choices.querySelectorAll(".mr-model-choice")];
  const boxes = rows.map((row) => row.querySelector("input[type=checkbox]"));

  const count = () => {
    const n = boxes.filter((box) => box.checked).length;
    chosen.textContent = `${n} of ${boxes.length} chosen`;
  };

  const apply = () => {
    const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of rows) {
      const name = row.textContent.toLowerCase();
      const match = words.every((word) => name.includes(word));
      row.hidden = !match;
      if (match) shown += 1;
    }
    noMatch.hidden = shown > 0;
  };

  const button = (text, action) => {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = text;
    element.addEventListener("click", () => {
      action();
      count();
    });
    return element;
  };

  filter.hidden = false;
  filter.addEventListener("input", apply);
  // Enter in the filter box would submit the whole form: it chooses nothing instead.
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  chosen.before(
    button("Choose the models shown", () => {
      rows.forEach((row, i) => {
        if (!row.hidden) boxes[i].checked = true;
      });
    }),
    button("Clear", () => boxes.forEach((box) => (box.checked = false))),
  );
  choices.addEventListener("change", count);
  apply();
  count();
}
