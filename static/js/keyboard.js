// Gallery shortcuts: J/K move between cards, Enter opens, F stars, D downloads, X selects,
// ? lists them. Keys typed into a field are left alone; every action also has a control.
(function () {
  "use strict";
  var SHORTCUTS = [
    ["J", "Next video"],
    ["K", "Previous video"],
    ["Enter", "Open the video"],
    ["F", "Add to or remove from favourites"],
    ["D", "Download the video"],
    ["X", "Select the video (for compare, ZIP, trash)"],
    ["?", "Show these shortcuts"],
  ];
  var current = -1;

  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".gallery .tile")); }
  function mainLink(card) { return card.querySelector(".tile-link") || card.querySelector("a[href]"); }
  function say(text) {
    var region = document.getElementById("announcer");
    if (region) { region.textContent = ""; window.setTimeout(function () { region.textContent = text; }, 50); }
  }
  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function move(step) {
    var all = cards();
    if (!all.length) return;
    var focused = all.findIndex(function (card) { return card.contains(document.activeElement); });
    var from = focused >= 0 ? focused : current;
    current = from < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(from + step, 0), all.length - 1);
    all.forEach(function (card, i) { card.classList.toggle("kbd-current", i === current); });
    var link = mainLink(all[current]);
    if (link) link.focus();
    all[current].scrollIntoView({ block: "nearest" });
  }

  function currentCard() {
    var all = cards();
    var focused = all.find(function (card) { return card.contains(document.activeElement); });
    return focused || all[current] || null;
  }

  function dialog() {
    var box = document.getElementById("shortcuts");
    if (box) return box;
    box = document.createElement("dialog");
    box.id = "shortcuts";
    box.className = "shortcuts";
    box.setAttribute("aria-labelledby", "shortcuts-title");
    var title = document.createElement("h2");
    title.id = "shortcuts-title";
    title.textContent = "Keyboard shortcuts";
    var list = document.createElement("dl");
    SHORTCUTS.forEach(function (pair) {
      var key = document.createElement("dt");
      var kbd = document.createElement("kbd");
      kbd.textContent = pair[0];
      key.appendChild(kbd);
      var what = document.createElement("dd");
      what.textContent = pair[1];
      list.appendChild(key);
      list.appendChild(what);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button";
    close.textContent = "Close";
    close.addEventListener("click", function () { box.close(); });
    box.appendChild(title);
    box.appendChild(list);
    box.appendChild(close);
    document.body.appendChild(box);
    return box;
  }

  function showShortcuts() { var box = dialog(); if (!box.open) box.showModal(); }

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector(".gallery") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    var key = event.key;
    if (key === "?") { event.preventDefault(); showShortcuts(); return; }
    var lower = key.length === 1 ? key.toLowerCase() : key;
    if (lower === "j") { event.preventDefault(); move(1); return; }
    if (lower === "k") { event.preventDefault(); move(-1); return; }
    var card = currentCard();
    if (!card) return;
    if (key === "Enter" && !event.target.closest("a, button, input, select, summary")) {
      var link = mainLink(card);
      if (link) { event.preventDefault(); link.click(); }
    } else if (lower === "f") {
      var star = card.querySelector(".star-form button, [data-shortcut=star]");
      if (star) { event.preventDefault(); star.click(); say("Favourite changed."); }
    } else if (lower === "d") {
      var url = card.dataset.downloadUrl;
      if (url) { event.preventDefault(); window.location.href = url; say("Downloading."); }
      else say("This video has nothing to download yet.");
    } else if (lower === "x") {
      var box = card.querySelector("input[type=checkbox]");
      if (box) { event.preventDefault(); box.click(); say(box.checked ? "Selected." : "Not selected."); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector(".gallery")) return;
    var head = document.querySelector(".page-head");
    if (!head) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.id = "shortcuts-button";
    button.setAttribute("aria-keyshortcuts", "?");
    button.textContent = "Keyboard shortcuts (?)";
    button.addEventListener("click", showShortcuts);
    head.appendChild(button);
  });
})();
