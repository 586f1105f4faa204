// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  function syncDurations(form) {
    var eightOnlySizes = (form.dataset.eightSecondsOnly || "").split(" ");
    var size = form.querySelector("input[name=size]:checked");
    var eightOnly = size && eightOnlySizes.indexOf(size.value) !== -1;
    form.querySelectorAll("input[name=seconds]").forEach(function (radio) {
      var blocked = eightOnly && radio.value !== "8";
      radio.disabled = blocked;
      radio.closest("label").classList.toggle("unavailable", blocked);
      if (blocked && radio.checked) {
        form.querySelector("input[name=seconds][value='8']").checked = true;
      }
    });
    var note = form.querySelector("#eight-only-note");
    if (note) note.hidden = !eightOnly;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("generation-form");
    if (!form) return;
    form.addEventListener("change", function () { syncDurations(form); });
    syncDurations(form);
    form.addEventListener("submit", function (event) {
      var button = document.getElementById("generate-button");
      if (form.dataset.sent === "yes") {
        event.preventDefault();  // a second click must not send a second paid job
        return;
      }
      form.dataset.sent = "yes";
      button.textContent = "Starting…";
      button.setAttribute("aria-busy", "true");
    });
  });
  // Coming back with the back button restores the page from cache; let it be sent again
  // (the server still recognises the same form and makes no second job).
  window.addEventListener("pageshow", function () {
    var form = document.getElementById("generation-form");
    if (form) {
      form.dataset.sent = "";
      document.getElementById("generate-button").textContent = "Generate";
    }
  });
})();
