// Place the crop: when the first frame's shape differs from the format and "Crop to fit" is
// chosen, the person moves and zooms a box of the format's shape over the picture (drag,
// pinch, arrow keys, + and −). The box is posted as crop_x, crop_y (its top-left corner in
// fractions of the picture) and crop_zoom (its size against the largest box that fits), and
// the server crops exactly that (lib/framing.py placed_box). Without this script the server
// crops the centre.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("generation-form");
    var editor = document.getElementById("crop-editor");
    if (!form || !editor) return;
    var stage = document.getElementById("crop-stage");
    var picture = document.getElementById("crop-image");
    var box = document.getElementById("crop-box");
    var status = document.getElementById("crop-status");
    var original = document.getElementById("frame-original");
    var fit = document.getElementById("field-first_frame_fit");
    var cropped = document.getElementById("frame-cropped");
    var croppedFigure = document.getElementById("frame-cropped-figure");
    var fields = {
      x: document.getElementById("id_crop_x"),
      y: document.getElementById("id_crop_y"),
      zoom: document.getElementById("id_crop_zoom"),
    };
    var minZoom = parseFloat(editor.dataset.minZoom || "0.25");
    var canvas = document.createElement("canvas");
    // The box, in fractions of the picture: top-left corner and zoom (1 = largest that fits).
    var place = null;
    var middle = null;  // the box's middle, kept across a change of format
    var shownSize = "";
    var drawPending = false;

    function size() {
      var checked = form.querySelector("input[name=size]:checked");
      return checked ? checked.value : "1280x720";
    }

    // The picture the server has checked (kept under a token): only that one gets a box.
    var token = form.querySelector("input[name=first_frame_token]");
    var checkedSrc = token.value ? original.getAttribute("src") : null;

    function active() {
      var crop = fit.querySelector("input[value=crop]");
      var src = original.getAttribute("src");
      return !fit.hidden && crop && crop.checked && Boolean(src) && src === checkedSrc;
    }

    // The largest box of the format's shape inside the picture, as fractions of its sides.
    function largest() {
      var format = size().split("x").map(Number);
      var width = picture.naturalWidth, height = picture.naturalHeight;
      if (width * format[1] > height * format[0]) {
        return { w: (height * format[0]) / (width * format[1]), h: 1 };
      }
      return { w: 1, h: (width * format[1]) / (height * format[0]) };
    }

    function boxSize() {
      var most = largest();
      return { w: most.w * place.zoom, h: most.h * place.zoom };
    }

    function clamp(value, low, high) { return Math.min(Math.max(value, low), high); }

    function keepInside() {
      place.zoom = clamp(place.zoom, minZoom, 1);
      var b = boxSize();
      place.x = clamp(place.x, 0, 1 - b.w);
      place.y = clamp(place.y, 0, 1 - b.h);
    }

    function centred(zoom) {
      var most = largest();
      return { x: (1 - most.w * zoom) / 2, y: (1 - most.h * zoom) / 2, zoom: zoom };
    }

    // Zoom about the box's centre, so the subject stays where the person put it.
    function zoomTo(zoom) {
      var before = boxSize();
      var cx = place.x + before.w / 2, cy = place.y + before.h / 2;
      place.zoom = clamp(zoom, minZoom, 1);
      var after = boxSize();
      place.x = cx - after.w / 2;
      place.y = cy - after.h / 2;
      changed();
    }

    function write() {
      if (!place) {
        fields.x.value = fields.y.value = fields.zoom.value = "";
        return;
      }
      var b = boxSize();
      middle = { x: place.x + b.w / 2, y: place.y + b.h / 2 };
      fields.x.value = place.x.toFixed(5);
      fields.y.value = place.y.toFixed(5);
      fields.zoom.value = place.zoom.toFixed(5);
    }

    function draw() {
      drawPending = false;
      if (!place) return;
      var b = boxSize();
      box.style.left = place.x * 100 + "%";
      box.style.top = place.y * 100 + "%";
      box.style.width = b.w * 100 + "%";
      box.style.height = b.h * 100 + "%";
      // What the video starts from, drawn from the same fractions the server uses.
      var format = size().split("x").map(Number);
      var scale = Math.min(1, 480 / Math.max(format[0], format[1]));
      canvas.width = Math.round(format[0] * scale);
      canvas.height = Math.round(format[1] * scale);
      var sw = picture.naturalWidth, sh = picture.naturalHeight;
      canvas.getContext("2d").drawImage(
        picture, place.x * sw, place.y * sh, b.w * sw, b.h * sh, 0, 0, canvas.width, canvas.height
      );
      try {
        cropped.src = canvas.toDataURL("image/jpeg", 0.85);
        croppedFigure.hidden = false;
      } catch (error) { /* a picture the canvas may not read: the server's preview stays */ }
    }

    // Said (politely) after a key or a button, not on every step of a drag.
    function describe() {
      if (!place) return;
      var b = boxSize();
      var left = 1 - b.w > 0.001 ? Math.round((place.x / (1 - b.w)) * 100) + "% across" : "full width";
      var top = 1 - b.h > 0.001 ? Math.round((place.y / (1 - b.h)) * 100) + "% down" : "full height";
      status.textContent = "Zoom " + (1 / place.zoom).toFixed(1) + "×, " + left + ", " + top;
    }

    function changed() {
      keepInside();
      write();
      if (!drawPending) {
        drawPending = true;
        window.requestAnimationFrame(draw);
      }
    }

    function fromFields() {
      var x = parseFloat(fields.x.value), y = parseFloat(fields.y.value);
      var zoom = parseFloat(fields.zoom.value);
      if (isFinite(x) && isFinite(y) && isFinite(zoom)) return { x: x, y: y, zoom: zoom };
      return null;
    }

    // Show or hide the editor to match the form: the picture, the format and the fit choice.
    function refresh() {
      if (!active()) {
        editor.hidden = true;
        place = null;
        shownSize = "";
        write();
        return;
      }
      editor.hidden = false;
      if (picture.getAttribute("src") !== original.getAttribute("src")) {
        place = null;
        picture.src = original.getAttribute("src");  // refresh() runs again once it loads
        return;
      }
      if (!picture.complete || !picture.naturalWidth) return;
      if (!place) {
        place = fromFields() || centred(1);
      } else if (shownSize !== size() && middle) {
        // Another format: a box of the new shape, as zoomed, around the same middle.
        var now = largest();
        place.x = middle.x - (now.w * place.zoom) / 2;
        place.y = middle.y - (now.h * place.zoom) / 2;
      }
      shownSize = size();
      changed();
      describe();
    }

    picture.addEventListener("load", refresh);
    form.addEventListener("firstframe:fit", function (event) {
      if (event.detail && event.detail.checked) checkedSrc = original.getAttribute("src");
      refresh();
    });
    fit.addEventListener("change", refresh);
    form.querySelectorAll("input[name=size]").forEach(function (radio) {
      radio.addEventListener("change", function () { window.setTimeout(refresh, 0); });
    });
    document.getElementById("frame-remove").addEventListener("click", refresh);

    // Drag with a finger, a pen or a mouse; pinch with two fingers.
    var pointers = {};
    var drag = null;
    function pointerList() { return Object.keys(pointers).map(function (id) { return pointers[id]; }); }
    function spread(list) { return Math.hypot(list[0].x - list[1].x, list[0].y - list[1].y); }

    stage.addEventListener("pointerdown", function (event) {
      if (!place) return;
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      stage.setPointerCapture(event.pointerId);
      var list = pointerList();
      var rect = stage.getBoundingClientRect();
      if (list.length === 1) {
        var b = boxSize();
        var fx = (event.clientX - rect.left) / rect.width;
        var fy = (event.clientY - rect.top) / rect.height;
        if (fx < place.x || fx > place.x + b.w || fy < place.y || fy > place.y + b.h) {
          place.x = fx - b.w / 2;  // a press outside the box brings the box there
          place.y = fy - b.h / 2;
          changed();
        }
        drag = { x: event.clientX, y: event.clientY, px: place.x, py: place.y, rect: rect };
        box.focus({ preventScroll: true });
      } else if (list.length === 2) {
        drag = { pinch: spread(list), zoom: place.zoom };
      }
      event.preventDefault();
    });
    stage.addEventListener("pointermove", function (event) {
      if (!drag || !(event.pointerId in pointers)) return;
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      var list = pointerList();
      if (drag.pinch && list.length === 2) {
        zoomTo(drag.zoom * drag.pinch / Math.max(1, spread(list)));
      } else if (!drag.pinch) {
        place.x = drag.px + (event.clientX - drag.x) / drag.rect.width;
        place.y = drag.py + (event.clientY - drag.y) / drag.rect.height;
        changed();
      }
    });
    function release(event) {
      delete pointers[event.pointerId];
      var list = pointerList();
      if (list.length === 1 && place) {  // one finger left: go on dragging from here
        drag = { x: list[0].x, y: list[0].y, px: place.x, py: place.y, rect: stage.getBoundingClientRect() };
      } else if (!list.length) {
        drag = null;
        describe();
      }
    }
    stage.addEventListener("pointerup", release);
    stage.addEventListener("pointercancel", release);
    // A trackpad's pinch arrives as a wheel with Ctrl held; a plain wheel scrolls the page.
    stage.addEventListener("wheel", function (event) {
      if (!place || !event.ctrlKey) return;
      event.preventDefault();
      zoomTo(place.zoom * Math.exp(event.deltaY * 0.01));
    }, { passive: false });

    box.addEventListener("keydown", function (event) {
      if (!place) return;
      var step = event.shiftKey ? 0.1 : 0.02;
      var b = boxSize();
      var moves = {
        ArrowLeft: [-step * b.w, 0], ArrowRight: [step * b.w, 0],
        ArrowUp: [0, -step * b.h], ArrowDown: [0, step * b.h],
      };
      if (moves[event.key]) {
        place.x += moves[event.key][0];
        place.y += moves[event.key][1];
        changed();
      } else if (event.key === "+" || event.key === "=") {
        zoomTo(place.zoom / 1.1);
      } else if (event.key === "-" || event.key === "_") {
        zoomTo(place.zoom * 1.1);
      } else if (event.key === "Home") {
        place = centred(place.zoom);
        changed();
      } else {
        return;
      }
      event.preventDefault();
      describe();
    });

    editor.querySelectorAll("[data-crop]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (!place) return;
        var what = button.dataset.crop;
        if (what === "in") zoomTo(place.zoom / 1.25);
        else if (what === "out") zoomTo(place.zoom * 1.25);
        else { place = centred(place.zoom); changed(); }
        describe();
      });
    });

    refresh();
  });
})();
