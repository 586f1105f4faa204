// A sequence's page: play its shots one after another as one film, and reorder them by
// dragging (the Move up / Move down buttons do the same without JavaScript).
(function () {
  "use strict";

  function playlist() {
    var data = document.getElementById("sequence-playlist");
    try {
      return data ? JSON.parse(data.textContent) : [];
    } catch (e) {
      return [];
    }
  }

  var video = document.getElementById("sequence-player");
  var label = document.getElementById("now-playing");
  var current = 0;

  function load(index, play) {
    var shots = playlist();
    if (!video || !shots.length) {
      if (label) label.textContent = "No ready shot to play yet.";
      return;
    }
    current = Math.max(0, Math.min(index, shots.length - 1));
    var shot = shots[current];
    video.src = shot.src;
    video.poster = shot.poster;
    video.dataset.shot = String(current);
    if (label) label.textContent = shot.title + " (" + (current + 1) + " of " + shots.length + ")";
    if (play) {
      var started = video.play();
      if (started && started.catch) started.catch(function () {});
    }
  }

  if (video) {
    video.addEventListener("ended", function () {
      if (current + 1 < playlist().length) load(current + 1, true);
      else if (label) label.textContent = "The end of the sequence.";
    });
    var buttons = {
      "play-all": function () { load(0, true); },
      "previous-shot": function () { load(current - 1, !video.paused); },
      "next-shot": function () { load(current + 1, !video.paused); },
    };
    Object.keys(buttons).forEach(function (id) {
      var button = document.getElementById(id);
      if (button) button.addEventListener("click", buttons[id]);
    });
    load(0, false);
  }

  // --- reordering by drag ---------------------------------------------------------------
  var dragged = null;

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (e) {
      return {};
    }
  }

  function send(list) {
    var body = new URLSearchParams();
    list.querySelectorAll("li.shot").forEach(function (item) {
      body.append("order", item.dataset.shot);
    });
    var headers = csrfHeaders();
    headers["HX-Request"] = "true";
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    fetch(list.dataset.reorderUrl, { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) {
        var old = document.getElementById("storyboard");
        if (!old) return;
        old.outerHTML = html;
        var fresh = document.getElementById("storyboard");
        if (fresh && window.htmx) window.htmx.process(fresh);
        var announcer = document.getElementById("announcer");
        if (announcer) announcer.textContent = "Shots reordered.";
      })
      .catch(function () { window.location.reload(); });
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("#shots li.shot");
    if (!item) return;
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.shot);
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var over = event.target.closest && event.target.closest("#shots li.shot");
    if (!over || over === dragged) { if (over) event.preventDefault(); return; }
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("drop", function (event) {
    if (dragged) event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    var list = dragged.parentNode;
    dragged.classList.remove("dragging");
    dragged = null;
    if (list && list.id === "shots") send(list);
  });
})();
