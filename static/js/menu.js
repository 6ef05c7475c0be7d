// The site header's Menu button: on narrow screens the navigation is folded away (app.css,
// "narrow screens") and this button shows and hides it. Escape closes it again and returns the
// focus to the button. On wide screens the button is not shown and the navigation always is.
const button = document.querySelector(".site-header .menu-button");
const menu = button && document.getElementById(button.getAttribute("aria-controls"));

function setOpen(open) {
  button.setAttribute("aria-expanded", String(open));
}

if (button && menu) {
  button.addEventListener("click", () => {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
  button.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });
}
