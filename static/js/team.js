// Team features on a video's page: comments at a moment, seeking to them, keeping the
// page's poll off a comment being edited, and the "no longer shared" notice. Pages work
// without it.
(function () {
  "use strict";

  function player() {
    return document.querySelector("video.player");
  }

  function momentLabel(seconds) {
    var tenths = Math.round(Math.max(seconds, 0) * 10);
    var minutes = Math.floor(tenths / 600);
    var rest = tenths % 600;
    var whole = Math.floor(rest / 10);
    return minutes + ":" + (whole < 10 ? "0" : "") + whole + "." + (rest % 10);
  }

  function seek(seconds) {
    var video = player();
    if (!video || isNaN(seconds)) return;
    video.currentTime = seconds;
    video.scrollIntoView({ block: "nearest" });
  }

  function showMomentButtons() {
    var video = player();
    document.querySelectorAll(".use-moment").forEach(function (button) {
      button.hidden = !video;
      if (video) button.textContent = "Use " + momentLabel(video.currentTime);
    });
  }

  document.addEventListener("click", function (event) {
    var moment = event.target.closest("a.moment[data-seek]");
    if (moment) {
      event.preventDefault();
      seek(parseFloat(moment.dataset.seek));
      return;
    }
    var use = event.target.closest(".use-moment");
    if (use && player()) {
      var input = use.closest(".moment-field").querySelector(".moment-input");
      input.value = momentLabel(player().currentTime);
    }
  });

  // The button says which moment it would use; the player's clock moves it along.
  document.addEventListener("timeupdate", showMomentButtons, true);
  document.addEventListener("seeked", showMomentButtons, true);
  document.addEventListener("htmx:afterSettle", showMomentButtons);

  // The page's poll (poll.js) brings the comments when they changed, but never over an
  // edit opened while its answer was on the way.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var list = event.detail.target;
    if (list && list.id === "comment-list" && list.querySelector(".comment.editing")) {
      event.detail.shouldSwap = false;
    }
  });

  document.addEventListener("team:sharing-changed", function () {
    var list = document.getElementById("comment-list");
    if (list && window.htmx) {
      window.htmx.ajax("GET", list.dataset.url, { target: list, swap: "outerHTML" });
    }
  });

  // The page's poll says jobs here are no longer visible (their element ids): a card leaves
  // its list; a video's page asks for itself as an open page, whose kind 404 says so.
  document.addEventListener("veostudio:gone", function (event) {
    (event.detail.value || []).forEach(function (id) {
      var element = document.getElementById(id);
      if (!element) return;
      var card = element.closest("li.tile");
      if (card) {
        card.remove();
        return;
      }
      fetch(window.location.href, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (answer) { return answer.status === 404 ? answer.text() : ""; })
        .then(function (html) { if (html) sayGone(html); else window.location.reload(); });
    });
  });

  // The video was unshared (or deleted) while this page was open: say so in its place.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 404) return;
    var card = event.detail.elt && event.detail.elt.closest("li.tile");
    if (card) {
      card.remove();  // a card in a list: the video left it, and its poll with it
      return;
    }
    sayGone(xhr.responseText);
  });

  function sayGone(html) {
    var article = document.querySelector("article.detail");
    if (!article) return;
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var notice = holder.querySelector("#gone-notice");
    if (!notice) return;
    var video = player();
    if (video) {
      video.pause();
      video.removeAttribute("src");
      video.load();
    }
    var gone = document.createElement("section");
    gone.className = "card narrow not-found";
    gone.appendChild(notice);
    article.replaceWith(gone);
  }

  // People page: a Copy button beside a set-password link (the field stays selectable
  // without it; the button shows only where the clipboard can be written).
  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var field = document.querySelector(button.getAttribute("data-copy"));
      if (!field || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(
          function () { button.textContent = "Copied"; },
          function () { field.select(); button.textContent = "Press Ctrl+C to copy"; }
        );
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    copyButtons();
    showMomentButtons();
    var match = /^#t=([0-9.]+)$/.exec(window.location.hash);
    var video = player();
    if (match && video) {
      var at = parseFloat(match[1]);
      if (video.readyState >= 1) seek(at);
      else video.addEventListener("loadedmetadata", function () { seek(at); }, { once: true });
    }
  });
})();
