// The page's one poll is htmx's own: base.html's #poller asks /status/ at the server's pace
// (hx-trigger) and the answer swaps in, out of band, the cards that changed and the header.
// This script only adds what the page shows to each request, keeps a hidden tab to a slower
// pace, and takes the poller out of the page when nothing on it runs.
(function () {
  "use strict";
  var spare = null;  // a fresh poller, for when running jobs come onto the page again
  var sentAt = 0;
  var turn = 0;

  function poller() {
    return document.getElementById("poller");
  }

  // "view.id.version" triples apart by spaces, one parameter: nothing in it is escaped, so
  // the URL stays short and the server splits it instead of decoding a list.
  function markers(limit) {
    var tokens = [];
    document.querySelectorAll("[data-poll]").forEach(function (element) {
      tokens.push(element.dataset.poll.replace(/:/g, "."));
    });
    if (tokens.length > limit) {
      // More than one request line holds (a huge page): take turns, a window per request.
      turn = turn % tokens.length;
      tokens = tokens.concat(tokens).slice(turn, turn + limit);
      turn += limit;
    }
    return tokens;
  }

  // The header's running jobs: the server says how the ones that ended did.
  function watched() {
    var indicator = document.getElementById("jobs-indicator");
    return (indicator && indicator.dataset.watch) || "";
  }

  function stop() {
    var element = poller();
    if (element) element.remove();
  }

  function start() {
    if (poller() || !spare || !window.htmx) return;
    if (!document.querySelector("[data-poll]") && !watched()) return;
    var fresh = spare.cloneNode(true);
    document.body.appendChild(fresh);
    window.htmx.process(fresh);
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    if (element.id !== "poller") return;
    var tokens = markers(Number(element.dataset.pollLimit) || 1);
    var watch = watched();
    if (!tokens.length && !watch) {
      event.preventDefault();
      stop();
      return;
    }
    // A hidden tab still asks, slower, so that its title and a notification can say a job
    // ended; coming back to the tab asks at once (below).
    var hiddenEvery = Number(element.dataset.pollHiddenEveryMs) || 15000;
    if (document.hidden && Date.now() - sentAt < hiddenEvery) {
      event.preventDefault();
      return;
    }
    sentAt = Date.now();
    if (tokens.length) event.detail.parameters.v = tokens.join(" ");
    if (watch) event.detail.parameters.watch = watch;
    var indicator = document.getElementById("jobs-indicator");
    if (watch && indicator) event.detail.parameters.waiting = indicator.dataset.waiting || "0";
  });

  // 286: nothing on the page or in the header runs any more; htmx has stopped this poller.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (event.detail.elt.id === "poller" && xhr && xhr.status === 286) stop();
  });

  // "Load more" can bring running cards into a page whose poller had stopped.
  document.addEventListener("htmx:afterSettle", start);

  document.addEventListener("visibilitychange", function () {
    var element = poller();
    if (!document.hidden && element && window.htmx) window.htmx.trigger(element, "poll-now");
  });

  document.addEventListener("DOMContentLoaded", function () {
    var element = poller();
    if (!element) return;
    spare = element.cloneNode(true);
    if (!document.querySelector("[data-poll]") && !watched()) stop();
  });
})();
