// "Use this frame" sends the player's position; the button shows it as the player moves.
// The page works without it ("Continue this shot" needs no script); this adds the moment.
(function () {
  "use strict";

  function label(seconds) {
    var tenths = Math.round(Math.max(seconds, 0) * 10);
    var minutes = Math.floor(tenths / 600);
    var rest = tenths % 600;
    var whole = Math.floor(rest / 10);
    return minutes + ":" + (whole < 10 ? "0" : "") + whole + "." + (rest % 10);
  }

  function playerFor(button) {
    var card = button.closest(".status-card") || document;
    return card.querySelector("video.player");
  }

  function update(button) {
    var player = playerFor(button);
    if (!player) return;
    var at = player.currentTime || 0;
    button.value = at.toFixed(6);  // milliseconds could round past a frame's end
    button.textContent = "Use this frame (" + label(at) + ")";
  }

  function showButtons() {
    document.querySelectorAll("[data-use-frame]").forEach(function (button) {
      if (!playerFor(button)) return;
      button.hidden = false;
      update(button);
    });
  }

  // Media events do not bubble: listen while they go down to the player.
  ["timeupdate", "seeked", "pause", "loadedmetadata"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!(event.target instanceof HTMLVideoElement)) return;
      var card = event.target.closest(".status-card") || document;
      card.querySelectorAll("[data-use-frame]").forEach(update);
    }, true);
  });
  // Read the position once more at the click: timeupdate lags a paused seek by a moment.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-use-frame]");
    if (button) update(button);
  }, true);
  document.addEventListener("DOMContentLoaded", showButtons);
  document.addEventListener("htmx:afterSettle", showButtons);  // the player arrives by a poll
  if (document.readyState !== "loading") showButtons();
})();
