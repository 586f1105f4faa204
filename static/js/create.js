// The create form: first-frame preview and fit, keyboard rules, the prompt's counter, and
// focus on the first error. The form works without it; this only makes it kinder.
(function () {
  "use strict";

  function differs(width, height, size, tolerance) {
    var box = size.split("x").map(Number);
    return Math.abs(Math.log((width / height) / (box[0] / box[1]))) > Math.log(1 + tolerance);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("generation-form");
    if (!form) return;
    var input = form.querySelector("input[name=first_frame]");
    var token = form.querySelector("input[name=first_frame_token]");
    var zone = form.querySelector("[data-dropzone]");
    var preview = document.getElementById("frame-preview");
    var original = document.getElementById("frame-original");
    var caption = document.getElementById("frame-original-caption");
    var croppedFigure = document.getElementById("frame-cropped-figure");
    var cropped = document.getElementById("frame-cropped");
    var fit = document.getElementById("field-first_frame_fit");
    var fitMessage = document.getElementById("fit-message");
    var errors = document.getElementById("first-frame-errors");
    // A refused picture stays refused until another is chosen or the person ticks
    // "Make it without a picture": Generate must not quietly send a video without it.
    var refused = form.querySelector("input[name=first_frame_refused]");
    var refusedBox = document.getElementById("frame-refused");
    var removed = form.querySelector("input[name=first_frame_removed]");
    var maxBytes = parseInt(input.dataset.maxBytes || "0", 10);  // the form's own limit
    var tolerance = parseFloat(form.dataset.shapeTolerance || "0.05");
    var image = null;  // {width, height} of the chosen image, once known
    var objectUrl = null;
    var request = 0;

    function size() {
      var checked = form.querySelector("input[name=size]:checked");
      return checked ? checked.value : "1280x720";
    }

    function showError(text) {
      errors.innerHTML = "";
      var field = document.getElementById("field-first_frame");
      field.classList.toggle("has-error", Boolean(text));
      if (!text) { input.removeAttribute("aria-invalid"); return; }
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = text;
      errors.appendChild(p);
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }

    function refuse(text) {
      clear(false);
      refused.value = "1";
      removed.checked = false;
      refusedBox.hidden = false;
      showError(text);
    }

    function accepted() {
      refused.value = "";
      removed.checked = false;
      refusedBox.hidden = true;
    }

    // crop.js (placing the crop box) follows the picture, the format and the fit choice;
    // `checked`: the server has checked this picture (a refused one gets no crop box).
    function announceFit(checked) {
      form.dispatchEvent(new CustomEvent("firstframe:fit", { detail: { checked: Boolean(checked) } }));
    }

    function updateFit(answer) {
      var mismatch = image && differs(image.width, image.height, size(), tolerance);
      fit.hidden = !mismatch;
      croppedFigure.hidden = true;
      if (!mismatch) {
        fit.querySelectorAll("input").forEach(function (radio) { radio.checked = false; });
        announceFit(answer);
        return;
      }
      if (!fit.querySelector("input:checked")) {
        fit.querySelector("input[value=crop]").checked = true;  // show what cropping gives
      }
      if (answer && answer.message) fitMessage.textContent = answer.message;
      if (answer && answer.cropped) {
        cropped.src = answer.cropped;
        croppedFigure.hidden = fit.querySelector("input:checked").value !== "crop";
      }
      announceFit(answer);
    }

    // Ask the server (Pillow) to check the image and crop it for this format; it keeps the
    // checked image under a token, so a correction of the form never loses it.
    function ask(withFile) {
      var mine = ++request;
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("size", size());
      if (withFile && input.files.length) data.append("first_frame", input.files[0]);
      if (token.value) data.append("first_frame_token", token.value);
      return fetch(form.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 413) return { ok: false, error: input.dataset.tooLarge };
          return response.json();
        })
        .then(function (answer) {
          if (mine !== request) return;
          if (!answer.ok) {
            refuse(answer.error);
            return;
          }
          accepted();
          token.value = answer.token;
          image = { width: answer.width, height: answer.height };
          caption.textContent = answer.caption || "Your image, " + answer.width + "×" + answer.height;
          updateFit(answer);
        })
        .catch(function () { /* the server checks the file again when the form is sent */ });
    }

    function clear(keepInput) {
      if (!keepInput) input.value = "";
      token.value = "";
      image = null;
      preview.hidden = true;
      fit.hidden = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = null;
      announceFit(false);
    }

    function chosen() {
      showError("");
      if (!input.files.length) { clear(true); return; }
      var file = input.files[0];
      if (maxBytes && file.size > maxBytes) {  // no need to send it to hear that
        request++;
        refuse(input.dataset.tooLarge);
        return;
      }
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(file);
      original.src = objectUrl;  // the instant preview, before the server has answered
      caption.textContent = "Your image: " + file.name;
      preview.hidden = false;
      original.onload = function () {
        image = { width: original.naturalWidth, height: original.naturalHeight };
        caption.textContent = "Your image, " + image.width + "×" + image.height;
        updateFit(null);
      };
      ask(true);
    }

    input.addEventListener("change", chosen);
    document.getElementById("frame-remove").addEventListener("click", function () {
      clear(false);
      accepted();
      showError("");
      input.focus();
    });
    removed.addEventListener("change", function () {
      if (removed.checked) showError("");
    });
    // Captured, so it runs before app.js marks the form as sent ("Starting…").
    form.addEventListener("submit", function (event) {
      if (refused.value && !input.files.length && !token.value && !removed.checked) {
        event.preventDefault();
        event.stopImmediatePropagation();
        refusedBox.hidden = false;
        showError(input.dataset.stillRefused);
      }
    }, true);
    form.querySelectorAll("input[name=size]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (!image) return;
        updateFit(null);
        if (token.value && differs(image.width, image.height, size(), tolerance)) ask(false);
      });
    });
    fit.addEventListener("change", function () {
      croppedFigure.hidden = !(cropped.getAttribute("src") && fit.querySelector("input[value=crop]").checked);
    });
    if (token.value && original.getAttribute("src")) {
      image = { width: original.naturalWidth, height: original.naturalHeight };
      var match = /(\d+)×(\d+)/.exec(caption.textContent);
      if (match) image = { width: Number(match[1]), height: Number(match[2]) };
    }

    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      chosen();
    });

    // Enter on a choice must never send a paid job; Ctrl/Cmd+Enter in the prompt does.
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      var target = event.target;
      if (target.tagName === "TEXTAREA") {
        if (event.ctrlKey || event.metaKey) {
          event.preventDefault();
          form.requestSubmit(document.getElementById("generate-button"));
        }
        return;
      }
      if (target.tagName === "INPUT" && target.type !== "submit") event.preventDefault();
    });

    var prompt = form.querySelector("textarea[name=prompt]");
    var counter = document.getElementById("prompt-counter");
    var limitStatus = document.getElementById("prompt-limit-status");
    var limit = parseInt(prompt.getAttribute("maxlength") || "0", 10);
    var lastBand = "";
    function count() {
      var used = prompt.value.length;
      counter.textContent = used + " / " + limit;
      counter.classList.toggle("over", used >= limit);
      // Announce only when a threshold is crossed, not on every key press.
      var left = limit - used;
      var band = left <= 0 ? "full" : left <= 100 ? "near" : "";
      if (band !== lastBand) {
        limitStatus.textContent = band === "full" ? "Prompt limit of " + limit + " characters reached."
          : band === "near" ? left + " characters left." : "";
        lastBand = band;
      }
    }
    if (limit) { prompt.addEventListener("input", count); count(); }

    // A field the person has corrected no longer shows the server's complaint about it.
    form.addEventListener("input", function (event) {
      var field = event.target.closest(".has-error");
      if (!field || event.target.type === "file") return;
      field.classList.remove("has-error");
      field.querySelectorAll(".error").forEach(function (error) { error.remove(); });
      event.target.removeAttribute("aria-invalid");
    });

    // After a refused form: bring the first problem into view and put focus on it.
    var firstError = form.querySelector(".has-error");
    if (firstError) {
      var control = firstError.querySelector("textarea, input:not([type=hidden]):not(:disabled)");
      firstError.scrollIntoView({ block: "center" });
      if (control) control.focus({ preventScroll: true });
    }
  });
})();
