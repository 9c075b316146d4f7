// Kontor's few page behaviours. The Content-Security-Policy allows no inline script or event
// handler, so pages mark elements with data attributes and this file gives them their behaviour.
//
// <select data-autosubmit>: submits its form on change (language, customer switch). With
// data-action="/customer/0/switch/", the form posts to that path with the chosen value for 0.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (!select || !select.form) return;
  const action = select.dataset.action;
  if (action) {
    select.form.action = action.replace("/0/", "/" + encodeURIComponent(select.value) + "/");
  }
  select.form.submit();
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
