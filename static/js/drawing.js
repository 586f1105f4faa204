// Drawing on a paused frame, and showing a comment's drawing over the player.
// Shapes live in the frame's own 0..1 coordinates (generations/drawings.py checks them):
// the overlay is an SVG laid over the picture's displayed box (letterboxing and portrait
// videos included) and redrawn in pixels whenever that box changes. Pointer events make
// it work the same with a mouse, a pen or a finger. The page works without this script.
// A page of several videos (a review link's guest page) marks each video's part with
// data-drawing-scope: its player, its comments and its form go together, and drawings show
// over the player last played, sought, opened or drawn on.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var FALLBACK = { red: "#e5484d" };
  var overlay = null;     // the <svg> over the player
  var shown = null;       // the shapes on it now
  var pinned = false;     // shown by a click or a link: stays until the video plays
  var pinnedAt = null;    // … or is moved away from this moment
  var drawing = null;     // while drawing: {shapes, tool, colour, current}
  var active = null;      // on a page of several players: the one in use

  function player() {
    if (active && active.isConnected) return active;
    return document.querySelector("video.player");
  }

  function scopeOf(node) {
    return (node && node.closest && node.closest("[data-drawing-scope]")) || document;
  }

  // The player that goes with a button or a comment (the page's only one without scopes).
  function playerFor(node) {
    var scope = scopeOf(node);
    return (scope !== document && scope.querySelector("video.player")) || document.querySelector("video.player");
  }

  // Drawings move to another player: the old one's overlay is left empty.
  function focusOn(video) {
    if (!video || video === player()) return;
    if (overlay) {
      while (overlay.firstChild) overlay.removeChild(overlay.firstChild);
      overlay.classList.remove("visible");
    }
    active = video;
    overlay = null;
    shown = null;
    pinned = false;
  }

  function field() {
    return scopeOf(player()).querySelector(".drawing-field");
  }

  function colours() {
    var holder = field() || document.querySelector("[data-colours]");
    try {
      return (holder && JSON.parse(holder.dataset.colours)) || FALLBACK;
    } catch (error) {
      return FALLBACK;
    }
  }

  function momentLabel(seconds) {
    var tenths = Math.round(Math.max(seconds, 0) * 10);
    var minutes = Math.floor(tenths / 600);
    var rest = tenths % 600;
    var whole = Math.floor(rest / 10);
    return minutes + ":" + (whole < 10 ? "0" : "") + whole + "." + (rest % 10);
  }

  // The picture's box inside the <video> element (object-fit: contain), in the element's
  // offset parent's pixels.
  function pictureBox(video) {
    var width = video.clientWidth, height = video.clientHeight;
    var ratio = video.videoWidth && video.videoHeight ? video.videoWidth / video.videoHeight : width / height;
    var shownWidth = width, shownHeight = width / ratio;
    if (shownHeight > height) {
      shownHeight = height;
      shownWidth = height * ratio;
    }
    return {
      left: video.offsetLeft + (width - shownWidth) / 2,
      top: video.offsetTop + (height - shownHeight) / 2,
      width: shownWidth,
      height: shownHeight
    };
  }

  function ensureOverlay() {
    var video = player();
    if (!video) return null;
    if (overlay && overlay.isConnected && overlay.previousElementSibling === video) return overlay;
    var next = video.nextElementSibling;
    if (next && next.classList.contains("drawing-overlay")) {  // this player's, made before
      overlay = next;
      place();
      return overlay;
    }
    video.parentElement.classList.add("drawing-host");
    overlay = document.createElementNS(SVG, "svg");
    overlay.setAttribute("class", "drawing-overlay");
    overlay.setAttribute("aria-hidden", "true");
    overlay.setAttribute("focusable", "false");
    video.insertAdjacentElement("afterend", overlay);
    overlay.addEventListener("pointerdown", pointerDown);
    overlay.addEventListener("pointermove", pointerMove);
    overlay.addEventListener("pointerup", pointerUp);
    overlay.addEventListener("pointercancel", pointerUp);
    place();
    return overlay;
  }

  function place() {
    var video = player();
    if (!overlay || !video) return;
    var box = pictureBox(video);
    overlay.style.left = box.left + "px";
    overlay.style.top = box.top + "px";
    overlay.style.width = box.width + "px";
    overlay.style.height = box.height + "px";
    overlay.setAttribute("viewBox", "0 0 " + box.width + " " + box.height);
    render();
  }

  function element(name, attributes) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }

  function shapeNode(shape, width, height, palette) {
    var colour = palette[shape.colour] || "#e5484d";
    var stroke = Math.max(2.5, Math.min(width, height) / 120);
    var common = { stroke: colour, "stroke-width": stroke, fill: "none", "stroke-linecap": "round", "stroke-linejoin": "round" };
    var points = shape.points.map(function (p) { return [p[0] * width, p[1] * height]; });
    if (shape.kind === "pen") {
      common.points = points.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" ");
      return element("polyline", common);
    }
    var a = points[0], b = points[1];
    if (shape.kind === "circle") {
      common.cx = (a[0] + b[0]) / 2;
      common.cy = (a[1] + b[1]) / 2;
      common.rx = Math.abs(b[0] - a[0]) / 2;
      common.ry = Math.abs(b[1] - a[1]) / 2;
      return element("ellipse", common);
    }
    // An arrow: its head drawn in pixels, so it keeps its shape on any frame.
    var group = element("g", {});
    var angle = Math.atan2(b[1] - a[1], b[0] - a[0]);
    var head = stroke * 4.5;
    var line = Object.assign({}, common, { x1: a[0], y1: a[1], x2: b[0], y2: b[1] });
    group.appendChild(element("line", line));
    var left = [b[0] - head * Math.cos(angle - 0.45), b[1] - head * Math.sin(angle - 0.45)];
    var right = [b[0] - head * Math.cos(angle + 0.45), b[1] - head * Math.sin(angle + 0.45)];
    group.appendChild(element("polyline", Object.assign({}, common, {
      points: left.join(",") + " " + b.join(",") + " " + right.join(",")
    })));
    return group;
  }

  function render() {
    if (!overlay) return;
    while (overlay.firstChild) overlay.removeChild(overlay.firstChild);
    var shapes = drawing ? drawing.shapes.concat(drawing.current ? [drawing.current] : []) : shown;
    overlay.classList.toggle("visible", Boolean(shapes && shapes.length) || Boolean(drawing));
    if (!shapes) return;
    var width = parseFloat(overlay.style.width) || 0, height = parseFloat(overlay.style.height) || 0;
    var palette = colours();
    shapes.forEach(function (shape) {
      if (shape.points && shape.points.length >= 2) overlay.appendChild(shapeNode(shape, width, height, palette));
    });
  }

  function show(shapes, pin, at) {
    if (!ensureOverlay()) return;
    shown = shapes;
    pinned = Boolean(pin);
    pinnedAt = pin && typeof at === "number" && !isNaN(at) ? at : null;
    place();
  }

  function hide() {
    shown = null;
    pinned = false;
    render();
  }

  function shapesOf(comment) {
    try {
      return JSON.parse(comment.dataset.drawing);
    } catch (error) {
      return null;
    }
  }

  // A comment's drawing, at its moment, the video paused there.
  function openComment(comment) {
    focusOn(playerFor(comment));
    var video = player();
    var shapes = shapesOf(comment);
    if (!video || !shapes) return;
    var at = parseFloat(comment.dataset.at);
    video.pause();
    var pin = function () { show(shapes, true, at); };
    if (!isNaN(at)) {
      if (video.readyState >= 1) {
        video.currentTime = at;
      } else {
        video.addEventListener("loadedmetadata", function () { video.currentTime = at; pin(); }, { once: true });
      }
    }
    pin();
  }

  // --- at a comment's moment, its drawing shows by itself --------------------------------

  function atMoment(event) {
    var target = event && event.target;
    if (target && target.matches && target.matches("video.player") && target !== player()) {
      if (drawing || event.type !== "seeked") return;  // another player sought: it takes over
      focusOn(target);
    }
    var video = player();
    if (!video || drawing) return;
    var now = video.currentTime;
    if (pinned && pinnedAt !== null && Math.abs(now - pinnedAt) > 0.2) pinned = false;
    if (pinned) return;
    var found = null;
    scopeOf(video).querySelectorAll("li.comment[data-drawing]").forEach(function (comment) {
      var at = parseFloat(comment.dataset.at);
      if (!found && !isNaN(at) && now >= at - 0.15 && now <= at + 1.5) found = comment;
    });
    if (found) show(shapesOf(found), false);
    else if (shown) hide();
  }

  // --- drawing -------------------------------------------------------------------------

  function point(event) {
    var box = overlay.getBoundingClientRect();
    var x = (event.clientX - box.left) / box.width, y = (event.clientY - box.top) / box.height;
    return [Math.round(Math.min(Math.max(x, 0), 1) * 10000) / 10000, Math.round(Math.min(Math.max(y, 0), 1) * 10000) / 10000];
  }

  function pointerDown(event) {
    if (!drawing) return;
    event.preventDefault();
    overlay.setPointerCapture(event.pointerId);
    var at = point(event);
    drawing.current = { kind: drawing.tool, colour: drawing.colour, points: [at, at] };
    if (drawing.tool === "pen") drawing.current.points = [at];
    render();
  }

  function pointerMove(event) {
    if (!drawing || !drawing.current) return;
    event.preventDefault();
    var at = point(event);
    var points = drawing.current.points;
    if (drawing.tool === "pen") {
      var last = points[points.length - 1];
      if (points.length < 400 && Math.hypot(at[0] - last[0], at[1] - last[1]) > 0.004) points.push(at);
    } else {
      points[1] = at;
    }
    render();
  }

  function pointerUp() {
    if (!drawing || !drawing.current) return;
    var shape = drawing.current;
    drawing.current = null;
    var a = shape.points[0], b = shape.points[shape.points.length - 1];
    var big = shape.points.length >= 2 && Math.hypot(b[0] - a[0], b[1] - a[1]) > 0.01;
    if (shape.kind === "pen" && shape.points.length >= 3) big = true;
    if (big && drawing.shapes.length < 20) drawing.shapes.push(shape);
    save();
    render();
  }

  function save() {
    var holder = field();
    if (!holder || !drawing) return;
    holder.querySelector(".drawing-input").value = drawing.shapes.length ? JSON.stringify(drawing.shapes) : "";
    var note = holder.querySelector(".drawing-note");
    var count = drawing.shapes.length;
    note.textContent = count ? count + (count === 1 ? " shape" : " shapes") + " drawn; it is sent with your comment." : "";
  }

  function button(label, className, extra) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = "button small " + className;
    node.textContent = label;
    Object.keys(extra || {}).forEach(function (key) { node.setAttribute(key, extra[key]); });
    return node;
  }

  function toolbar() {
    var bar = document.createElement("div");
    bar.className = "drawing-tools";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Drawing on the frame");
    [["pen", "Pen"], ["arrow", "Arrow"], ["circle", "Circle"]].forEach(function (tool) {
      bar.appendChild(button(tool[1], "tool", { "data-tool": tool[0], "aria-pressed": String(tool[0] === drawing.tool) }));
    });
    var palette = colours();
    Object.keys(palette).forEach(function (name) {
      var swatch = button("", "swatch swatch-" + name, { "data-colour": name, "aria-label": name, "aria-pressed": String(name === drawing.colour), title: name });
      swatch.style.backgroundColor = palette[name];  // the server's list, not a copy
      bar.appendChild(swatch);
    });
    bar.appendChild(button("Undo", "undo-shape"));
    bar.appendChild(button("Clear", "clear-shapes"));
    bar.appendChild(button("Done", "primary done-drawing"));
    return bar;
  }

  function startDrawing(start) {
    focusOn(playerFor(start));
    var video = player();
    if (!video || !ensureOverlay()) return;
    video.pause();
    var holder = field();
    var saved = [];
    try { saved = JSON.parse(holder.querySelector(".drawing-input").value || "[]"); } catch (error) { saved = []; }
    drawing = { shapes: saved, tool: "circle", colour: Object.keys(colours())[0], current: null };
    var moment = holder.closest("form").querySelector(".moment-input");
    if (moment) moment.value = momentLabel(video.currentTime);
    overlay.classList.add("drawing-active");
    overlay.insertAdjacentElement("afterend", toolbar());
    start.setAttribute("aria-pressed", "true");
    start.textContent = "Drawing at " + momentLabel(video.currentTime) + "…";
    pinned = false;
    place();
    save();
    // The form may sit far below the player: bring the frame and its tools into view.
    video.scrollIntoView({ block: "start" });
  }

  function stopDrawing(focusText) {
    var shapes = drawing ? drawing.shapes : [];
    drawing = null;
    document.querySelectorAll(".drawing-tools").forEach(function (bar) { bar.remove(); });
    if (overlay) overlay.classList.remove("drawing-active");
    var holder = field();
    var start = holder && holder.querySelector(".start-drawing");
    if (start) {
      start.setAttribute("aria-pressed", "false");
      start.textContent = shapes.length ? "Change the drawing" : "Draw on the frame";
    }
    var video = player();
    if (shapes.length) show(shapes, true, video ? video.currentTime : NaN);
    else hide();
    var form = holder && holder.closest("form");
    var text = form && form.querySelector("textarea");
    if (text && focusText) text.focus();  // back to the words that go with it
  }

  function showControls() {
    document.querySelectorAll(".start-drawing, .show-drawing").forEach(function (node) {
      node.hidden = !playerFor(node);
    });
    // A form sent back with a mistake keeps its drawing: say so on the button.
    document.querySelectorAll(".drawing-field").forEach(function (holder) {
      var start = holder.querySelector(".start-drawing");
      if (start && !drawing && holder.querySelector(".drawing-input").value) {
        start.textContent = "Change the drawing";
      }
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var start = target.closest(".start-drawing");
    if (start) {
      if (drawing) {
        var same = playerFor(start) === player();
        stopDrawing();
        if (same) return;  // a second press ends it; another video's starts there
      }
      startDrawing(start);
      return;
    }
    if (!drawing) {
      var showButton = target.closest(".show-drawing");
      var moment = target.closest("li.comment[data-drawing] a.moment");
      if (showButton || moment) {
        openComment((showButton || moment).closest("li.comment"));
        return;
      }
      return;
    }
    var tool = target.closest(".drawing-tools [data-tool]");
    if (tool) {
      drawing.tool = tool.dataset.tool;
      tool.parentElement.querySelectorAll("[data-tool]").forEach(function (b) { b.setAttribute("aria-pressed", String(b === tool)); });
    }
    var swatch = target.closest(".drawing-tools [data-colour]");
    if (swatch) {
      drawing.colour = swatch.dataset.colour;
      swatch.parentElement.querySelectorAll("[data-colour]").forEach(function (b) { b.setAttribute("aria-pressed", String(b === swatch)); });
    }
    if (target.closest(".undo-shape")) { drawing.shapes.pop(); save(); render(); }
    if (target.closest(".clear-shapes")) { drawing.shapes = []; save(); render(); }
    if (target.closest(".done-drawing")) stopDrawing(true);
  });

  document.addEventListener("timeupdate", atMoment, true);
  document.addEventListener("seeked", atMoment, true);
  document.addEventListener("play", function (event) {
    var video = event.target;
    if (!(video.matches && video.matches("video.player"))) return;
    if (drawing) stopDrawing();
    focusOn(video);
    pinned = false;
    atMoment();
  }, true);
  document.addEventListener("loadedmetadata", function (event) {
    if (event.target === player()) place();
  }, true);
  window.addEventListener("resize", place);

  // A comment sent: the new, empty form starts without a drawing.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "comments") {
      if (drawing) stopDrawing();
      hide();
    }
    showControls();
  });

  // A link to a comment (the inbox's): #t=3.0&c=12 seeks there, pauses and shows it.
  function openFromAddress() {
    var match = /^#(?:t=([0-9.]+)&)?c=([0-9]+)$/.exec(window.location.hash);
    if (!match) return;
    var comment = document.getElementById("comment-" + match[2]);
    if (!comment) return;
    var fold = comment.querySelector("details");
    if (fold) fold.open = true;
    comment.classList.add("picked");
    comment.scrollIntoView({ block: "center" });
    var video = playerFor(comment);
    if (comment.dataset.drawing) {
      openComment(comment);
    } else if (video && match[1]) {
      var at = parseFloat(match[1]);
      if (video.readyState >= 1) video.currentTime = at;
      else video.addEventListener("loadedmetadata", function () { video.currentTime = at; }, { once: true });
    }
    if (video) video.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showControls();
    if (window.ResizeObserver) {
      var watcher = new ResizeObserver(place);
      document.querySelectorAll("video.player").forEach(function (video) { watcher.observe(video); });
    }
    openFromAddress();
  });
  window.addEventListener("hashchange", openFromAddress);
})();
