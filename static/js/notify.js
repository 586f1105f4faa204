// The header's running-jobs indicator, and word when a job ends: the tab title, a line for
// screen readers and, if the person allowed it from a button, a browser notification.
(function () {
  "use strict";
  // From the server, on <body> (generations.views). The page's own status polling pauses
  // in a hidden tab, so this one small request is the only way to hear that a job ended
  // there; it goes slower while the tab is hidden.
  var POLL_MS = Number(document.body.dataset.runningEveryMs) || 5000;
  var HIDDEN_POLL_MS = Number(document.body.dataset.runningHiddenEveryMs) || 15000;
  var indicator, watching = new Set(), announced = new Set(), known = new Map(), timer = null;
  var originalTitle = document.title;

  function say(text) {
    var region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    // A fresh text node after a tick, so the same words twice are still announced.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function showCount(running) {
    if (!indicator) return;
    indicator.hidden = running.length === 0;
    var count = indicator.querySelector(".jobs-count");
    if (count) count.textContent = String(running.length);
  }

  function ended(job) {
    if (announced.has(job.id)) return;
    announced.add(job.id);
    watching.delete(job.id);
    document.title = (job.status === "ready" ? "✓ " : "⚠ ") + job.title + " · VeoStudio";
    say(job.title + ". " + job.body);
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        var note = new Notification(job.title, { body: job.body, tag: "veostudio-" + job.id });
        note.onclick = function () { window.focus(); window.location.href = job.url; note.close(); };
      } catch (error) { /* some browsers allow notifications only from a service worker */ }
    }
    if (document.visibilityState === "visible") {
      window.setTimeout(restoreTitle, 8000);
    }
  }

  function restoreTitle() { document.title = originalTitle; }

  function schedule() {
    window.clearTimeout(timer);
    timer = null;
    // Polled only while one of the person's jobs runs.
    if (watching.size) {
      timer = window.setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
    }
  }

  function poll() {
    if (!indicator || !watching.size) { schedule(); return; }
    var url = indicator.dataset.url + "?watch=" + encodeURIComponent(Array.from(watching).join(" "));
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) {
          throw new Error("not the jobs answer");  // e.g. logged out: stop quietly
        }
        return response.json();
      })
      .then(function (data) {
        data.running.forEach(function (id) { watching.add(id); });
        data.ended.forEach(ended);
        showCount(data.running);
        schedule();
      })
      .catch(function () { watching.clear(); });
  }

  function scanCards() {
    var sawEnd = false, anyActive = false;
    document.querySelectorAll("[data-job-id][data-job-active]").forEach(function (el) {
      var id = el.dataset.jobId, active = el.dataset.jobActive === "yes";
      var before = known.get(id);
      if (before && before.active && !active) sawEnd = true;
      if (active) { watching.add(id); anyActive = true; }
      if (before && before.status !== el.dataset.status) {
        var sentence = el.querySelector(".status-sentence");
        if (sentence && active) say(sentence.textContent.trim());
      }
      known.set(id, { active: active, status: el.dataset.status });
    });
    if (sawEnd) poll();
    if (!anyActive) {
      document.querySelectorAll(".notify-offer").forEach(function (offer) { offer.remove(); });
    }
  }

  function offerNotifications() {
    var supported = "Notification" in window;
    document.querySelectorAll(".notify-offer").forEach(function (offer) {
      offer.hidden = !(supported && Notification.permission === "default");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    indicator = document.getElementById("jobs-indicator");
    if (indicator) {
      (indicator.dataset.watch || "").split(" ").filter(Boolean).forEach(function (id) { watching.add(id); });
    }
    scanCards();
    offerNotifications();
    schedule();
    document.addEventListener("veostudio:updated", scanCards);
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-ask-notifications]");
      if (!button || !("Notification" in window)) return;
      Notification.requestPermission().then(function (answer) {
        offerNotifications();
        say(answer === "granted"
          ? "Notifications are on: you will be told when a video ends."
          : "Notifications stay off. The tab title still changes when a video ends.");
      });
    });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      window.setTimeout(restoreTitle, 3000);
      poll();
    } else {
      schedule();
    }
  });
})();
