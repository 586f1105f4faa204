// The New video form's prompt tools (prompts app): pick a preset and fill its variables, add
// a style block, Improve my prompt (a difference to accept, edit or ignore) and Save as
// preset. Nothing here generates a video: only the form's own Generate button does.
(function () {
  "use strict";

  // The library's Delete buttons ask first.
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("generation-form");
    var picker = document.getElementById("preset-picker");
    var tools = document.getElementById("prompt-tools");
    if (!form || !picker || !tools) return;
    var prompt = form.querySelector("textarea[name=prompt]");
    var choice = document.getElementById("preset-choice");
    var status = document.getElementById("preset-status");
    var variables = document.getElementById("preset-variables");
    var fields = document.getElementById("preset-variable-fields");
    var template = document.getElementById("preset-template");
    var fillButton = document.getElementById("preset-fill");
    var fillError = document.getElementById("preset-fill-error");
    var current = null;  // the chosen preset, as the server described it
    var filled = true;   // whether its variables went into the prompt

    function csrf() {
      return form.querySelector("[name=csrfmiddlewaretoken]").value;
    }

    function post(url, data) {
      data.append("csrfmiddlewaretoken", csrf());
      return fetch(url, { method: "POST", body: data, credentials: "same-origin" }).then(function (response) {
        // A redirect here is the log-in page (the session ended): never show it in the form.
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response;
      });
    }

    function setPrompt(text) {
      prompt.value = text;
      prompt.dispatchEvent(new Event("input", { bubbles: true }));  // the counter, error marks
    }

    function setRadio(name, value) {
      var radio = form.querySelector("input[name=" + name + "][value='" + value + "']");
      if (!radio || radio.checked) return;
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));  // price, 8-second rule, fit
    }

    function urlFor(base, pk) {
      return base.replace(/\/0\/(\w+)\/$/, "/" + pk + "/$1/");
    }

    // --- presets -----------------------------------------------------------------------------

    function showVariables(preset) {
      fields.innerHTML = "";
      fillError.hidden = true;
      template.textContent = preset.template;
      preset.variables.forEach(function (name, index) {
        var wrap = document.createElement("div");
        wrap.className = "variable-field";
        var label = document.createElement("label");
        label.htmlFor = "preset-var-" + index;
        label.textContent = name.replace(/_/g, " ");
        var input = document.createElement("input");
        input.type = "text";
        input.id = "preset-var-" + index;
        input.dataset.variable = name;
        input.maxLength = 300;
        input.autocomplete = "off";
        wrap.appendChild(label);
        wrap.appendChild(input);
        fields.appendChild(wrap);
      });
      variables.hidden = false;
      var first = fields.querySelector("input");
      if (first) first.focus();
    }

    function apply(preset) {
      current = preset;
      setRadio("model", preset.model);
      setRadio("size", preset.size);
      setRadio("seconds", preset.seconds);
      setRadio("takes", preset.takes);
      if (preset.frame) {
        form.dispatchEvent(new CustomEvent("first-frame:kept", { detail: preset.frame }));
      }
      if (preset.variables.length) {
        filled = false;
        showVariables(preset);
        status.textContent = "Settings of “" + preset.name + "” applied. Fill in its " +
          (preset.variables.length === 1 ? "variable" : "variables") + ", then edit the prompt as you like.";
      } else {
        filled = true;
        variables.hidden = true;
        setPrompt(preset.prompt);
        status.textContent = "“" + preset.name + "” is in the form. Edit anything before you generate.";
      }
    }

    function choose() {
      fillError.hidden = true;
      if (!choice.value) {
        current = null;
        filled = true;
        variables.hidden = true;
        status.textContent = "";
        return;
      }
      status.textContent = "Loading the preset…";
      post(urlFor(picker.dataset.useUrl, choice.value), new FormData())
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (!answer.ok) { status.textContent = answer.message; return; }
          apply(answer);
        })
        .catch(function () {
          status.textContent = "The preset could not be loaded. Your form is unchanged; try again.";
        });
    }

    function fill() {
      if (!current) return;
      var data = new FormData();
      fields.querySelectorAll("input[data-variable]").forEach(function (input) {
        data.append("var_" + input.dataset.variable, input.value);
      });
      post(urlFor(picker.dataset.fillUrl, current.id), data)
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (!answer.ok) {
            fillError.textContent = answer.message;
            fillError.hidden = false;
            var empty = Array.prototype.find.call(fields.querySelectorAll("input[data-variable]"),
              function (input) { return !input.value.trim(); });
            if (empty) empty.focus();
            return;
          }
          fillError.hidden = true;
          filled = true;
          setPrompt(answer.prompt);
          variables.hidden = true;
          status.textContent = "Filled in. Edit the prompt as you like before you generate.";
          prompt.focus();
        })
        .catch(function () {
          fillError.textContent = "The variables could not be filled in. Try again.";
          fillError.hidden = false;
        });
    }

    choice.addEventListener("change", choose);
    fillButton.addEventListener("click", fill);
    fields.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); fill(); }
    });
    if (picker.dataset.auto) choose();

    // Captured, before the form is marked as sent: a preset's variables must be filled first.
    form.addEventListener("submit", function (event) {
      if (filled || !current) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      fillError.textContent = "Fill in " + current.variables.map(function (name) { return "{" + name + "}"; }).join(", ") +
        " and press Put into the prompt first, or choose No preset.";
      fillError.hidden = false;
      variables.scrollIntoView({ block: "center" });
    }, true);

    // --- style blocks: the phrase goes into the prompt, where the person sees it -------------

    tools.querySelectorAll("[data-style-text]").forEach(function (button) {
      button.addEventListener("click", function () {
        var text = button.dataset.styleText;
        var value = prompt.value.replace(/\s+$/, "");
        if (value.indexOf(text) !== -1) { prompt.focus(); return; }  // already there
        // A new sentence after a full stop (or one added here); a list goes on after a comma.
        var listGoesOn = /[,;:]$/.test(value);
        var joint = !value ? "" : listGoesOn || /[.!?]$/.test(value) ? " " : ". ";
        if (!listGoesOn) text = text.charAt(0).toUpperCase() + text.slice(1);
        setPrompt(value + joint + text);
        prompt.focus();
        prompt.setSelectionRange(prompt.value.length, prompt.value.length);
      });
    });

    // --- Improve my prompt -------------------------------------------------------------------

    var improveButton = document.getElementById("improve-button");
    var improveStatus = document.getElementById("improve-status");
    var panel = document.getElementById("improve-panel");

    function checked(name) {
      var input = form.querySelector("input[name=" + name + "]:checked");
      return input ? input.value : "";
    }

    improveButton.addEventListener("click", function () {
      var data = new FormData();
      data.append("prompt", prompt.value);
      ["model", "size", "seconds"].forEach(function (name) { data.append(name, checked(name)); });
      improveButton.disabled = true;
      improveButton.setAttribute("aria-busy", "true");
      improveStatus.textContent = "Asking the chat model…";
      post(tools.dataset.improveUrl, data)
        .then(function (response) { return response.text(); })
        .then(function (html) {
          panel.innerHTML = html;
          improveStatus.textContent = panel.querySelector("#improve-error")
            ? "" : "A suggestion is shown below your prompt.";
          var editor = document.getElementById("suggestion-text");
          if (editor) panel.scrollIntoView({ block: "nearest" });
        })
        .catch(function () {
          panel.innerHTML = "";
          improveStatus.textContent = "The suggestion could not be fetched. Your prompt is unchanged; try again.";
        })
        .finally(function () {
          improveButton.disabled = false;
          improveButton.removeAttribute("aria-busy");
        });
    });

    function decide(button) {
      if (button.dataset.improve === "accept") {
        setPrompt(document.getElementById("suggestion-text").value);
        improveStatus.textContent = "The suggestion is now your prompt. Edit it as you like; nothing is generated until you press Generate.";
        prompt.focus();
      } else {
        improveStatus.textContent = "Kept your prompt as it was.";
      }
      panel.innerHTML = "";
    }

    panel.addEventListener("click", function (event) {
      var button = event.target.closest("[data-improve]");
      if (button) decide(button);
    });
    // Ctrl/Cmd+Enter in the suggestion uses it; it must not reach the form's Generate shortcut.
    panel.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
      event.preventDefault();
      event.stopPropagation();
      decide(panel.querySelector("[data-improve=accept]"));
    });

    // --- Save as preset ----------------------------------------------------------------------

    var toggle = document.getElementById("save-preset-toggle");
    var box = document.getElementById("save-preset");
    var nameInput = document.getElementById("preset-name");
    var saveStatus = document.getElementById("save-preset-status");
    var projectField = document.getElementById("preset-project-field");

    toggle.addEventListener("click", function () {
      box.hidden = !box.hidden;
      toggle.setAttribute("aria-expanded", String(!box.hidden));
      if (!box.hidden) nameInput.focus();
    });
    box.querySelectorAll("input[name=preset_scope_choice]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (projectField) projectField.hidden = checked("preset_scope_choice") !== "project";
      });
    });
    nameInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); document.getElementById("save-preset-button").click(); }
    });

    document.getElementById("save-preset-button").addEventListener("click", function () {
      var data = new FormData(form);  // the form as it stands, its first frame included
      data.delete("csrfmiddlewaretoken");
      data.append("preset_name", nameInput.value);
      data.append("preset_scope", checked("preset_scope_choice") || "personal");
      var project = document.getElementById("preset-project");
      if (project) data.append("preset_project", project.value);
      saveStatus.textContent = "Saving…";
      post(tools.dataset.saveUrl, data)
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          saveStatus.textContent = answer.message;
          saveStatus.classList.toggle("error", !answer.ok);
          if (!answer.ok) return;
          var group = null;
          choice.querySelectorAll("optgroup").forEach(function (g) {
            if (g.label === answer.preset.group) group = g;
          });
          if (!group) {
            group = document.createElement("optgroup");
            group.label = answer.preset.group;
            choice.appendChild(group);
          }
          var option = document.createElement("option");
          option.value = answer.preset.id;
          option.textContent = answer.preset.name;
          group.appendChild(option);
        })
        .catch(function (error) {
          saveStatus.classList.add("error");
          saveStatus.textContent = error.message === "413"
            ? "The first frame is too large to save with the preset."
            : "The preset could not be saved. Your form is unchanged; try again.";
        });
    });
  });
})();
