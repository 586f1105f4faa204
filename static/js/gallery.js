// The gallery's enhancements: hover previews, auto-applied filters, range selection,
// copy prompt, and one control for every player in a comparison. All pages work without it.
(function () {
  "use strict";

  // --- hover (or long press) plays a muted preview; nothing loads before that -------------
  function startPreview(tile) {
    var video = tile.querySelector("video.preview");
    if (!video) return;
    if (!video.src) video.src = video.dataset.src;
    tile.classList.add("previewing");
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () {});
  }
  function stopPreview(tile) {
    var video = tile.querySelector("video.preview");
    if (!video) return;
    tile.classList.remove("previewing");
    video.pause();
  }
  document.addEventListener("mouseover", function (event) {
    var tile = event.target.closest && event.target.closest(".tile");
    if (tile && !tile.contains(event.relatedTarget)) startPreview(tile);
  });
  document.addEventListener("mouseout", function (event) {
    var tile = event.target.closest && event.target.closest(".tile");
    if (tile && !tile.contains(event.relatedTarget)) stopPreview(tile);
  });
  var pressTimer = null;
  var pressed = null;
  document.addEventListener("touchstart", function (event) {
    var tile = event.target.closest && event.target.closest(".tile");
    if (!tile || !tile.querySelector("video.preview")) return;
    pressTimer = window.setTimeout(function () { pressed = tile; startPreview(tile); }, 450);
  }, { passive: true });
  function endPress(event) {
    window.clearTimeout(pressTimer);
    if (pressed) {
      stopPreview(pressed);
      pressed = null;
      if (event.cancelable) event.preventDefault();  // a long press previews, it does not open
    }
  }
  document.addEventListener("touchend", endPress);
  document.addEventListener("touchmove", function () { window.clearTimeout(pressTimer); }, { passive: true });

  // --- filters apply as soon as one changes ------------------------------------------------
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("#filters");
    if (form && event.target.name !== "q") form.requestSubmit();
  });

  // --- selection: shift-click ticks a range; the bar says how many ------------------------
  var lastPicked = null;
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll(".pick-box")); }
  function countPicked() {
    var count = boxes().filter(function (box) { return box.checked; }).length;
    var label = document.getElementById("picked-count");
    if (label) label.textContent = count ? count + " selected" : "Tick cards";
    var approved = 0;
    document.querySelectorAll(".tile").forEach(function (tile) {
      var box = tile.querySelector(".pick-box");
      tile.classList.toggle("picked", !!(box && box.checked));
      if (box && box.checked && tile.dataset.review === "approved") approved += 1;
    });
    var zipApproved = document.getElementById("zip-approved-button");
    if (zipApproved) {
      zipApproved.hidden = !approved;
      zipApproved.textContent = "Download approved (" + approved + ")";
    }
  }
  document.addEventListener("click", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("pick-box")) return;
    if (event.shiftKey && lastPicked && lastPicked !== box) {
      var all = boxes();
      var from = all.indexOf(lastPicked);
      var to = all.indexOf(box);
      var low = Math.min(from, to);
      var high = Math.max(from, to);
      for (var i = low; i <= high; i++) all[i].checked = box.checked;
    }
    lastPicked = box;
    countPicked();
  });
  document.addEventListener("htmx:afterSwap", countPicked);

  // --- copy prompt -------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.querySelector(button.dataset.copy);
        navigator.clipboard.writeText(source.innerText.trim()).then(function () {
          button.textContent = "Copied";
          window.setTimeout(function () { button.textContent = "Copy prompt"; }, 1500);
        });
      });
    });
    setUpCompare();
  });

  // --- compare: one control, every player within the tolerance of the first --------------
  function setUpCompare() {
    var section = document.getElementById("compare");
    if (!section) return;
    var players = Array.prototype.slice.call(section.querySelectorAll("video"));
    var controls = document.getElementById("compare-controls");
    var play = document.getElementById("compare-play");
    var seek = document.getElementById("compare-seek");
    var time = document.getElementById("compare-time");
    var sound = document.getElementById("compare-sound");
    var tolerance = parseFloat(section.dataset.tolerance || "0.1");
    var lead = players[0];
    players.forEach(function (video) { video.controls = false; video.muted = true; });
    controls.hidden = false;

    function longest() {
      return Math.max.apply(null, players.map(function (v) { return v.duration || 0; }));
    }
    function align() {
      var now = lead.currentTime;
      players.slice(1).forEach(function (video) {
        var target = Math.min(now, (video.duration || now) - 0.01);
        if (Math.abs(video.currentTime - target) > tolerance / 2) video.currentTime = target;
      });
    }
    function tick() {
      if (!lead.paused) align();
      var total = longest();
      if (total && !seek.matches(":active")) seek.value = Math.round((lead.currentTime / total) * 1000);
      time.textContent = lead.currentTime.toFixed(1) + " s";
      window.requestAnimationFrame(tick);
    }
    play.addEventListener("click", function () {
      if (lead.paused) {
        align();
        players.forEach(function (v) { var p = v.play(); if (p && p.catch) p.catch(function () {}); });
        play.textContent = "Pause all";
      } else {
        players.forEach(function (v) { v.pause(); });
        align();
        play.textContent = "Play all";
      }
    });
    seek.addEventListener("input", function () {
      var at = (seek.value / 1000) * longest();
      players.forEach(function (v) { v.currentTime = Math.min(at, (v.duration || at) - 0.01); });
    });
    sound.addEventListener("change", function () { lead.muted = !sound.checked; });
    lead.addEventListener("ended", function () {
      players.forEach(function (v) { v.pause(); });
      play.textContent = "Play all";
    });
    window.__compare = { players: players, align: align };
    window.requestAnimationFrame(tick);
  }
})();
