// Word when a job ends: the tab title, a line for screen readers and, if the person allowed
// it from a button, a browser notification. It asks nothing itself: the page's poll
// (poll.js) brings a "veostudio:ended" event with the header's jobs that ended.
(function () {
  "use strict";
  var announced = new Set(), known = new Map();
  var originalTitle = document.title;

  function say(text) {
    var region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    // A fresh text node after a tick, so the same words twice are still announced.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function ended(job) {
    if (announced.has(job.id)) return;
    announced.add(job.id);
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

  // A card or status that moved on says its new step to screen readers.
  function scanCards() {
    var anyActive = false;
    document.querySelectorAll("[data-job-id][data-job-active]").forEach(function (el) {
      var id = el.dataset.jobId, active = el.dataset.jobActive === "yes";
      var before = known.get(id);
      if (active) anyActive = true;
      if (before && before.status !== el.dataset.status) {
        var sentence = el.querySelector(".status-sentence");
        if (sentence && active) say(sentence.textContent.trim());
      }
      known.set(id, { active: active, status: el.dataset.status });
    });
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

  document.addEventListener("veostudio:ended", function (event) {
    (event.detail.value || []).forEach(ended);
  });
  document.addEventListener("htmx:afterSettle", scanCards);

  document.addEventListener("DOMContentLoaded", function () {
    scanCards();
    offerNotifications();
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
    if (document.visibilityState === "visible") window.setTimeout(restoreTitle, 3000);
  });
})();
