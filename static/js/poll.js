// The page's one poll is htmx's own: base.html's #poller asks /status/ and the answer swaps
// in, out of band, only what changed: the cards, the header's jobs, the inbox bell, a
// shared video's comments. No other part of the page polls. The paces are polling.py's,
// rendered into the poller's attributes:
// - while a job on the page or in the header runs: every POLL_EVERY_MS; in a hidden tab
//   only every POLL_HIDDEN_EVERY_MS and for the jobs alone (the tab title and a
//   notification still say when one ended there);
// - when nothing runs (a poll that carried jobs is answered 286): every
//   POLL_IDLE_EVERY_MS, for the bell and the comments (a teammate's comment or a mention
//   still shows), and not at all in a hidden tab;
// - at once on coming back to the tab, and when something asks for it
//   (htmx.trigger('#poller', 'poll-now')).
// The bell's number rides along at most once per idle interval (a count every few seconds
// buys nothing), the comments' version on every poll but never over a comment being edited.
(function () {
  "use strict";
  var spare = null;  // the poller as the page came, to make one of the other pace from
  var sentAt = 0;
  var bellAt = 0;
  var turn = 0;

  function poller() {
    return document.getElementById("poller");
  }

  // What the page shows and the header counts, in as few characters as the server reads:
  // each job once, apart by ".": its id's 16 bytes in base64url, then each part the page
  // shows of it by its letter and the version shown in base 36 ("cZ3K9W": the card, that
  // version), and "w" when the header counts it. Nothing in it is escaped, so it costs its
  // own length in the URL. The letters are the server's (the poller's data-poll-letters).
  // A request line has a limit (the poller's data-poll-url-limit, under gunicorn's and
  // nginx's): the header's jobs always go, and of the parts what does not fit in `room`,
  // or past `limit` parts, waits for the next request, a window per request in turn.
  function jobs(element, room) {
    var letters = {};
    (element.dataset.pollLetters || "").split(" ").forEach(function (pair) {
      var parts = pair.split(":");
      letters[parts[0]] = parts[1];
    });
    var limit = Number(element.dataset.pollLimit) || 1;
    var said = Object.create(null);  // short id -> what the request says of the job
    var order = [];
    function say(id, what) {
      if (!(id in said)) {
        said[id] = "";
        order.push(id);
      }
      said[id] += what;
    }
    watched().forEach(function (id) {
      var short = shortId(id);
      room -= short.length + 2;
      say(short, letters.watched);
    });
    var all = [];
    document.querySelectorAll("[data-poll]").forEach(function (marker) {
      var parts = marker.dataset.poll.split(":");
      var letter = letters[parts[0]];
      if (letter) all.push([shortId(parts[1]), letter + Number(parts[2]).toString(36).toUpperCase()]);
    });
    var start = all.length ? turn % all.length : 0;
    var taken = 0;
    for (; taken < all.length && taken < limit; taken++) {
      var id = all[(start + taken) % all.length][0];
      var part = all[(start + taken) % all.length][1];
      var cost = part.length + (id in said ? 0 : id.length + 1);
      if (cost > room) break;
      room -= cost;
      say(id, part);
    }
    turn = start + taken;
    return order.map(function (id) { return id + said[id]; }).join(".");
  }

  // A job's id (with or without its dashes) as its 16 bytes in base64url, unpadded.
  function shortId(id) {
    var hex = id.replace(/-/g, "");
    var bytes = "";
    for (var i = 0; i < 32; i += 2) bytes += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
    return window.btoa(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The header's running jobs (the server says how the ones that ended did).
  function watched() {
    var indicator = document.getElementById("jobs-indicator");
    var ids = ((indicator && indicator.dataset.watch) || "").trim();
    return ids ? ids.split(/\s+/) : [];
  }

  function busy() {
    return Boolean(document.querySelector("[data-poll]") || watched().length);
  }

  function isFast(element) {
    return element.dataset.pace !== "idle";
  }

  // htmx keeps an element's interval for its life and stops it for good after a 286, so a
  // change of pace is a fresh poller in place of the old one.
  function setPace(fast) {
    if (!spare || !window.htmx) return;
    var fresh = spare.cloneNode(true);
    var every = fast ? spare.dataset.pollEveryMs : spare.dataset.pollIdleEveryMs;
    fresh.setAttribute("hx-trigger", "every " + every + "ms, poll-now");
    fresh.dataset.pace = fast ? "fast" : "idle";
    var current = poller();
    if (current) current.replaceWith(fresh);
    else document.body.appendChild(fresh);
    window.htmx.process(fresh);
  }

  function pollNow() {
    var element = poller();
    if (element && window.htmx) window.htmx.trigger(element, "poll-now");
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    if (element.id !== "poller") return;
    var running = busy();
    if (running !== isFast(element)) {
      // Jobs came onto the page (a new video, "Load more") or the last one left it.
      event.preventDefault();
      setPace(running);
      if (running) window.setTimeout(pollNow, 0);
      return;
    }
    var trigger = event.detail.triggeringEvent;
    var urgent = Boolean(trigger && trigger.type === "poll-now");
    var now = Date.now();
    var parameters = event.detail.parameters;
    if (document.hidden) {
      var hiddenEvery = Number(element.dataset.pollHiddenEveryMs);
      if (!running || (now - sentAt < hiddenEvery && !urgent)) {
        event.preventDefault();
        return;
      }
    } else {
      var idleEvery = Number(element.dataset.pollIdleEveryMs);
      var bell = document.getElementById("inbox-bell");
      if (bell && (!running || urgent || now - bellAt >= idleEvery)) {
        parameters.bell = bell.dataset.unread || "0";
        bellAt = now;
      }
      var list = document.getElementById("comment-list");
      if (list && list.dataset.pollComments && !list.querySelector(".comment.editing")) {
        parameters.comments = list.dataset.pollComments;
        parameters.comments_version = list.dataset.commentsVersion || "";
      }
    }
    if (watched().length) {
      parameters.waiting = document.getElementById("jobs-indicator").dataset.waiting || "0";
    }
    // The URL so far ("?" or "&" before each parameter), and "&jobs=" to come.
    var room = Number(element.dataset.pollUrlLimit) - event.detail.path.length - 6;
    ["bell", "comments", "comments_version", "waiting"].forEach(function (name) {
      var value = parameters[name];
      if (value !== undefined) room -= name.length + 2 + encodeURIComponent(value).length;
    });
    var asked = jobs(element, room);
    if (asked) parameters.jobs = asked;
    if (!running && !parameters.bell && !parameters.comments) {
      event.preventDefault();  // nothing to ask about
      return;
    }
    sentAt = now;
  });

  // 286: the jobs this poll carried have all ended; htmx has stopped this poller.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (event.detail.elt.id === "poller" && xhr && xhr.status === 286) setPace(busy());
  });

  // A swap can bring running jobs (a new video, "Load more"): the quick pace from now on.
  document.addEventListener("htmx:afterSettle", function () {
    var element = poller();
    if (element && busy() && !isFast(element)) setPace(true);
  });

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) pollNow();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var element = poller();
    if (!element) return;
    spare = element.cloneNode(true);
    if (!busy()) setPace(false);
  });
})();
