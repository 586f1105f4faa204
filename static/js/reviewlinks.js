// Review links: the Copy button of a new link, and on the guest's page the moments of
// comments (seek the video), "Use the player's position" and "Change" for the name.
// No inline script anywhere: the studio's CSP allows only files from the site.
(function () {
  "use strict";

  function moment(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = (seconds - minutes * 60).toFixed(1);
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function copy(button) {
    var field = document.querySelector(button.getAttribute("data-copy-from"));
    if (!field) return;
    var text = field.value;
    function done() {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { field.select(); });
    } else {
      field.focus();
      field.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var copyButton = target.closest("[data-copy-from]");
    if (copyButton) { copy(copyButton); return; }

    var seek = target.closest("a.moment[data-seek][data-player]");
    if (seek) {
      var player = document.querySelector(seek.getAttribute("data-player"));
      if (player) {
        event.preventDefault();
        player.currentTime = parseFloat(seek.getAttribute("data-seek"));
        player.scrollIntoView({ block: "nearest" });
        player.play().catch(function () {});
      }
      return;
    }

    var use = target.closest(".use-moment[data-player]");
    if (use) {
      var video = document.querySelector(use.getAttribute("data-player"));
      var input = document.querySelector(use.getAttribute("data-target"));
      if (video && input) { input.value = moment(video.currentTime || 0); input.focus(); }
      return;
    }

    var reveal = target.closest("[data-reveal]");
    if (reveal) {
      var form = document.querySelector(reveal.getAttribute("data-reveal"));
      if (form) { form.hidden = false; var field = form.querySelector("input[type=text]"); if (field) field.focus(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".use-moment[data-player]").forEach(function (button) { button.hidden = false; });
    // Pausing fills the moment of that video's comment, unless the guest typed one.
    document.querySelectorAll("video[id^=player-]").forEach(function (video) {
      video.addEventListener("pause", function () {
        var input = document.getElementById(video.id.replace("player-", "at-"));
        if (input && !input.value && video.currentTime > 0) input.value = moment(video.currentTime);
      });
    });
  });
})();
