// The review queue and the indexing screen, by keyboard. No inline scripts (CSP): everything is here.
//
// Every action is a plain form or link on the page (it all works without this file); the keys only
// press them. Keys are ignored while typing in a field, except Enter (files) and Esc (leaves the
// field). On the indexing screen the pages show one at a time (j/k, or the Previous / Next links,
// which reload with ?page= without this file); rotating and deleting a page
// are htmx swaps of that page, so what was chosen in the form stays.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function $(selector) { return document.querySelector(selector); }

  function pages() { return $("#review-pages"); }

  function figures() {
    var box = pages();
    return box ? Array.prototype.slice.call(box.querySelectorAll(".review-page")) : [];
  }

  function currentNumber() {
    var box = pages();
    return box ? parseInt(box.dataset.current || "1", 10) : 1;
  }

  function showPage(number) {
    var box = pages();
    if (!box) { return; }
    var all = figures();
    if (!all.length) { return; }
    number = Math.max(1, Math.min(all.length, number));
    box.dataset.current = String(number);
    all.forEach(function (figure) {
      figure.classList.toggle("current", parseInt(figure.dataset.page, 10) === number);
    });
    var indicator = $("#page-indicator");
    if (indicator) { indicator.textContent = "Page " + number + " of " + all.length; }
    var splitAt = $("#split-at");
    if (splitAt) { splitAt.value = String(Math.min(number, all.length - 1) || 1); }
    var prev = $("#page-prev"), next = $("#page-next");
    if (prev) { prev.hidden = number <= 1; }
    if (next) { next.hidden = number >= all.length; }
  }

  function currentFigure() {
    var number = currentNumber();
    return figures().filter(function (f) { return parseInt(f.dataset.page, 10) === number; })[0];
  }

  function press(selector, scope) {
    var button = (scope || document).querySelector(selector);
    if (button) { button.click(); return true; }
    return false;
  }

  function choices() {
    return Array.prototype.slice.call(document.querySelectorAll('#patient-choices input[type="radio"]'));
  }

  function numberChoices() {
    choices().forEach(function (radio, i) {
      var key = radio.parentNode.querySelector(".choice-key");
      if (key) { key.textContent = i < 9 ? String(i + 1) : ""; }
    });
  }

  function focusField(selector) {
    var field = $(selector);
    if (field) { field.focus(); if (field.select && field.type === "text") { field.select(); } }
  }

  function fileNow() {
    var form = $("#index-form");
    var button = $("#file-button");
    if (!form || !button) { return false; }
    if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
    return true;
  }

  function toggleKeys() {
    var keys = $("#review-keys");
    var toggle = $("#keys-toggle");
    if (!keys) { return; }
    keys.hidden = !keys.hidden;
    if (toggle) { toggle.setAttribute("aria-expanded", keys.hidden ? "false" : "true"); }
  }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) { return true; }
    if (tag !== "input") { return false; }
    var type = (target.type || "text").toLowerCase();
    return ["radio", "checkbox", "button", "submit", "reset"].indexOf(type) === -1;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    var target = event.target;
    var key = event.key;

    if (key === "Escape") {
      if (target && target.blur && target !== document.body) { target.blur(); }
      return;
    }

    // The queue: Enter starts indexing.
    var start = $("#review-start");
    if (start && key === "Enter" && !typing(target) && (target === document.body || target === start)) {
      event.preventDefault();
      start.click();
      return;
    }

    if (!$("#review-pages")) { return; }

    if (key === "Enter") {
      var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
      if (tag === "button" || tag === "a" || tag === "textarea") { return; }  // their own Enter
      if (target && target.id === "patient-search") { return; }  // searches
      var form = $("#index-form");
      var inForm = form && form.contains(target);
      if (inForm && tag === "input" && typing(target)) { return; }  // the browser submits the form
      if (target === document.body || !target || inForm || tag === "input") {
        if (fileNow()) { event.preventDefault(); }
      }
      return;
    }

    if (typing(target)) { return; }

    if (/^[1-9]$/.test(key)) {
      var radio = choices()[parseInt(key, 10) - 1];
      if (radio) { radio.checked = true; radio.focus(); event.preventDefault(); }
      return;
    }

    var figure = currentFigure();
    var handled = true;
    switch (key) {
      case "?": toggleKeys(); break;
      case "/": focusField("#patient-search"); break;
      case "t": focusField("#doc-type"); break;
      case "i": focusField("#doc-title"); break;
      case "w": focusField("#doc-date"); break;
      case "a": focusField("#doc-assigned"); break;
      case "u": press("#doc-urgent"); break;
      case "j": showPage(currentNumber() + 1); break;
      case "k": showPage(currentNumber() - 1); break;
      case "r": if (figure) { press('[data-action="rotate-right"]', figure); } break;
      case "R": if (figure) { press('[data-action="rotate-left"]', figure); } break;
      case "d": if (figure) { press('[data-action="delete-page"]', figure); } break;
      case "s":
        var splitForm = $("#split-form");
        if (splitForm && currentNumber() < figures().length) {
          $("#split-at").value = String(currentNumber());
          splitForm.submit();
        }
        break;
      case "m": var mergeForm = $("#merge-form"); if (mergeForm) { mergeForm.submit(); } break;
      case "x": focusField("#delete-part"); break;  // then Enter deletes it: two keys, no accident
      case "n": press("#skip-link"); break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  function init() {
    var box = pages();
    if (box) { showPage(currentNumber()); }
    numberChoices();
    var toggle = $("#keys-toggle");
    if (toggle) { toggle.addEventListener("click", toggleKeys); }
    [["#page-prev", -1], ["#page-next", 1]].forEach(function (pair) {
      var link = $(pair[0]);
      if (link) {
        link.addEventListener("click", function (event) {
          event.preventDefault();
          showPage(currentNumber() + pair[1]);
        });
      }
    });
    // Keys work straight away: the page, not a field, has the focus.
    if (document.activeElement && document.activeElement !== document.body && box) {
      document.activeElement.blur();
    }
  }

  document.addEventListener("DOMContentLoaded", init);

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "patient-hits") {
      numberChoices();
      var first = target.querySelector('input[type="radio"]');
      if (first) { first.checked = true; first.focus(); }
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var box = pages();
    if (box) { showPage(currentNumber()); }
  });
})();
