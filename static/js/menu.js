// The header's menu on a narrow screen: one button (aria-expanded) shows or hides the main
// navigation. Without this script the navigation simply wraps under the brand.
// _header.html loads it right after the header, not deferred: the header folds before the
// page's first paint instead of after it (a deferred fold moved the whole page up 214 px on
// a phone, Lighthouse's layout shift on Team).
(function () {
  "use strict";
  var button = document.getElementById("menu-button");
  var nav = document.getElementById("main-nav");
  if (!button || !nav) return;
  var bar = button.closest(".topbar");
  button.hidden = false;
  bar.classList.add("has-menu");

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    bar.classList.toggle("menu-open", open);
  }
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bar.classList.contains("menu-open")) {
      setOpen(false);
      button.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (bar.classList.contains("menu-open") && !bar.contains(event.target)) setOpen(false);
  });
})();
