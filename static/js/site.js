// Kontor's few page behaviours. The Content-Security-Policy allows no inline script or event
// handler, so pages mark elements with data attributes and this file gives them their behaviour.
//
// <select data-autosubmit>: submits its form on change (language, customer switch). With
// data-action="/customer/0/switch/", the form posts to that path with the chosen value for 0.
//
// From the keyboard, the arrow keys step through the options and each step is a "change": the
// page would reload at the first press. There the choice waits for Enter (or for the focus to
// leave the menu); a choice by mouse or touch is sent at once.
function submitChoice(select) {
  const action = select.dataset.action;
  if (action) {
    select.form.action = action.replace("/0/", "/" + encodeURIComponent(select.value) + "/");
  }
  select.form.submit();
}
let keyedSelect = null;
document.addEventListener("keydown", (event) => {
  const select = event.target.closest && event.target.closest("select[data-autosubmit]");
  if (!select || !select.form) return;
  if (event.key === "Enter") {
    event.preventDefault();
    if (select.dataset.chosen) submitChoice(select);
  } else if (event.key !== "Tab" && event.key !== "Shift") {
    keyedSelect = select;
  }
});
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (!select || !select.form) return;
  if (keyedSelect === select) {
    select.dataset.chosen = "true";
    return;
  }
  submitChoice(select);
});
document.addEventListener("pointerdown", (event) => {
  if (event.target.closest && event.target.closest("select[data-autosubmit]")) keyedSelect = null;
});
document.addEventListener("focusout", (event) => {
  const select = event.target.closest && event.target.closest("select[data-autosubmit]");
  if (select === keyedSelect) keyedSelect = null;
  if (select && select.form && select.dataset.chosen) submitChoice(select);
});

// <form data-submit-on-load>: sent as soon as the page is ready (the signed order for a bank's
// 3-D page); its button stays for a browser without JavaScript.
document.querySelectorAll("form[data-submit-on-load]").forEach((form) => form.submit());

// <button data-menu-toggle aria-controls="id">: folds the element of that id away on a phone
// (the CSS hides it while aria-expanded is "false") and unfolds it on click. Rendered hidden,
// so that without JavaScript nothing is folded away; Escape folds it again.
document.querySelectorAll("button[data-menu-toggle]").forEach((button) => {
  const menu = document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  const show = (open) => button.setAttribute("aria-expanded", open ? "true" : "false");
  button.hidden = false;
  button.addEventListener("click", () => show(button.getAttribute("aria-expanded") !== "true"));
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      show(false);
      button.focus();
    }
  });
});

// A table wider than its card scrolls sideways in its .table-scroll box. While it does, the box
// takes the keyboard's focus (arrow keys scroll it) and is a region named by its card's heading.
function markScrollingTables() {
  document.querySelectorAll(".table-scroll").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.tabIndex = 0;
      let heading = box.previousElementSibling;
      while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
      const caption = box.querySelector("caption");
      const name = (caption || heading)?.textContent.trim();
      if (name) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name);
      }
    } else if (box.hasAttribute("tabindex")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  });
}
markScrollingTables();
window.addEventListener("resize", markScrollingTables);

// A form sent back with errors: the keyboard starts at its first invalid field, whose error
// text is read out with it (aria-describedby). Messages with role="alert" are read out anyway.
const firstInvalid = document.querySelector("main [aria-invalid=true]");
if (firstInvalid) firstInvalid.focus();
