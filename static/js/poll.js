// One status request per page, whatever the number of running jobs on it.
// Every element with data-poll="view:id:version" is a running job; the server answers
// fresh fragments only for those whose version changed. Polling stops when no running
// job is left on the page and pauses while the tab is hidden.
(function () {
  "use strict";
  // Both numbers come from the server, on <body> (generations.views).
  var INTERVAL_MS = Number(document.body.dataset.pollEveryMs) || 3000;
  var MAX_TOKENS = Number(document.body.dataset.pollLimit) || 1;
  var turn = 0;
  var timer = null;
  var inFlight = false;
  var sentAt = 0;  // when the last poll went out

  function pollUrl() {
    return document.body && document.body.dataset.pollUrl;
  }

  function running() {
    return document.querySelectorAll("[data-poll]");
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (document.hidden || !pollUrl() || running().length === 0) return;
    // Counted from when the last poll went out, not from its answer, so that a slow answer
    // does not push every later poll back; a slow server still gets a pause between polls.
    var wait = sentAt ? Math.max(INTERVAL_MS - (Date.now() - sentAt), INTERVAL_MS / 3) : INTERVAL_MS;
    timer = setTimeout(tick, wait);
  }

  function swap(id, html) {
    var old = document.getElementById(id);
    if (!old) return;
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var fresh = holder.content.firstElementChild;
    if (!fresh) return;
    old.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    document.dispatchEvent(new CustomEvent("veostudio:updated", { detail: { element: fresh } }));
  }

  function tick() {
    if (inFlight) return;
    // One parameter, "view.id.version" triples apart by spaces: nothing in it is escaped,
    // so the URL stays short and the server splits it instead of decoding a list.
    var tokens = [];
    running().forEach(function (element) { tokens.push(element.dataset.poll.replace(/:/g, ".")); });
    if (tokens.length > MAX_TOKENS) {
      // More than one request line holds (a huge page): take turns, a window per tick.
      turn = turn % tokens.length;
      tokens = tokens.concat(tokens).slice(turn, turn + MAX_TOKENS);
      turn += MAX_TOKENS;
    }
    var params = new URLSearchParams({ v: tokens.join(" ") });
    inFlight = true;
    sentAt = Date.now();
    fetch(pollUrl() + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        // An expired session is sent to the login page: show it as a whole page.
        if (response.redirected || !response.ok) {
          if (response.redirected) window.location.reload();
          return null;
        }
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        // Keys are the ids of the elements they replace (card-<id>, status-<id>).
        Object.keys(data.fragments).forEach(function (id) { swap(id, data.fragments[id]); });
        // Jobs this person may no longer see: stop asking, and let the page decide (team.js).
        (data.gone || []).forEach(function (id) {
          var element = document.getElementById(id);
          if (!element) return;
          element.removeAttribute("data-poll");
          element.dispatchEvent(new CustomEvent("veostudio:gone", { bubbles: true }));
        });
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ })
      .then(function () {
        inFlight = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else {
      tick();
    }
  });
  document.addEventListener("DOMContentLoaded", schedule);
  window.veostudioPoll = { now: tick };
})();
