// The inbox's bell (the page's poll brings its number, poll.js) and @mention
// suggestions in a comment box: only the people who can see the video are offered, as
// the server answers them (a listbox, by keyboard, mouse or touch).
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("announcer");
    if (region) region.textContent = text;
  }

  // --- the bell ------------------------------------------------------------------------
  // The page's one poll swaps in a new bell when its number changed (poll.js); a rise is
  // said to screen readers.

  var lastCount = null;
  document.addEventListener("htmx:afterSettle", function () {
    var bell = document.getElementById("inbox-bell");
    if (!bell) return;
    var count = Number(bell.dataset.unread || 0);
    if (lastCount !== null && count > lastCount) announce(count + " unread in your inbox");
    lastCount = count;
  });
  document.addEventListener("DOMContentLoaded", function () {
    var bell = document.getElementById("inbox-bell");
    if (bell) lastCount = Number(bell.dataset.unread || 0);
  });

  // --- @mentions -----------------------------------------------------------------------

  var box = null;       // the textarea being completed
  var options = [];     // [{username, name}]
  var active = -1;
  var asked = 0;
  var timer = null;

  function listOf(textarea) {
    return document.getElementById(textarea.getAttribute("aria-controls"));
  }

  // The "@prefix" just before the caret, or null.
  function typedMention(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = /(^|[^\w@])@([\w.+-]{0,30})$/.exec(before);
    return match ? { prefix: match[2], start: before.length - match[2].length - 1 } : null;
  }

  function close() {
    if (!box) return;
    var list = listOf(box);
    if (list) {
      list.hidden = true;
      list.textContent = "";
    }
    box.removeAttribute("aria-activedescendant");
    options = [];
    active = -1;
  }

  function draw() {
    var list = listOf(box);
    if (!list) return;
    list.textContent = "";
    options.forEach(function (person, index) {
      var item = document.createElement("li");
      item.id = list.id + "-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(index === active));
      item.dataset.index = String(index);
      var name = document.createElement("span");
      name.className = "mention-name";
      name.textContent = person.name;
      item.appendChild(name);
      if (person.name !== person.username) {
        var handle = document.createElement("span");
        handle.className = "mention-handle muted";
        handle.textContent = "@" + person.username;
        item.appendChild(handle);
      }
      list.appendChild(item);
    });
    list.hidden = options.length === 0;
    if (active >= 0) box.setAttribute("aria-activedescendant", list.id + "-" + active);
    else box.removeAttribute("aria-activedescendant");
  }

  function suggest(textarea) {
    var typed = typedMention(textarea);
    if (!typed) {
      close();
      return;
    }
    box = textarea;
    var ticket = ++asked;
    var url = textarea.dataset.mentions + "?q=" + encodeURIComponent(typed.prefix);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : { people: [] }; })
      .then(function (data) {
        if (ticket !== asked || box !== textarea) return;  // a later keystroke asked since
        options = data.people || [];
        active = options.length ? 0 : -1;
        draw();
        if (options.length) {
          announce(options.length + (options.length === 1 ? " person" : " people") + " who can see this video; arrow keys to choose, Enter to pick");
        }
      })
      .catch(close);
  }

  function pick(index) {
    if (!box || !options[index]) return;
    var typed = typedMention(box);
    if (!typed) return close();
    var insert = "@" + options[index].username + " ";
    var value = box.value;
    box.value = value.slice(0, typed.start) + insert + value.slice(box.selectionStart);
    var caret = typed.start + insert.length;
    box.setSelectionRange(caret, caret);
    announce("Mentioned " + options[index].name);
    close();
    box.focus();
  }

  document.addEventListener("input", function (event) {
    var textarea = event.target.closest && event.target.closest("textarea[data-mentions]");
    if (!textarea) return;
    clearTimeout(timer);
    timer = setTimeout(function () { suggest(textarea); }, 120);
  });

  document.addEventListener("keydown", function (event) {
    if (!box || event.target !== box || !options.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      active = (active + step + options.length) % options.length;
      draw();
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (active < 0) return;
      event.preventDefault();
      pick(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });

  // pointerdown, not click: the textarea keeps its focus (and a phone its keyboard).
  document.addEventListener("pointerdown", function (event) {
    var item = event.target.closest && event.target.closest(".mention-list [role=option]");
    if (item) {
      event.preventDefault();
      pick(Number(item.dataset.index));
    }
  });

  document.addEventListener("focusout", function (event) {
    if (box && event.target === box) setTimeout(close, 150);
  });
})();
