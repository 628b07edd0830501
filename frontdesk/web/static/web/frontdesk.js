// FrontDesk's only first-party script: keyboard shortcuts. No inline scripts (CSP forbids them).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    // "/" focuses the page's search box, as in most web apps, unless the user is typing already.
    if (event.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
      var box = document.querySelector("[data-search-box]");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });

  // --- result lists (patient search): arrow keys move between rows, Enter opens one ---------------
  function resultRows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-results] tr[data-href]"));
  }

  function focusRow(rows, index) {
    if (!rows.length) { return; }
    var row = rows[Math.max(0, Math.min(index, rows.length - 1))];
    rows.forEach(function (other) { other.removeAttribute("aria-selected"); });
    row.setAttribute("aria-selected", "true");
    row.focus();
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-search-box]")) {
      if (event.key === "ArrowDown") {
        var rows = resultRows();
        if (rows.length) { event.preventDefault(); focusRow(rows, 0); }
      } else if (event.key === "Enter") {
        // Enter in the box opens the only result, or the first one when the user is sure.
        var first = resultRows()[0];
        if (first && resultRows().length === 1) { event.preventDefault(); window.location.assign(first.dataset.href); }
      }
      return;
    }
    if (!(target.matches && target.matches("[data-results] tr[data-href]"))) { return; }
    var all = resultRows();
    var index = all.indexOf(target);
    if (event.key === "ArrowDown") { event.preventDefault(); focusRow(all, index + 1); }
    else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (index === 0) {
        var box = document.querySelector("[data-search-box]");
        if (box) { box.focus(); }
      } else { focusRow(all, index - 1); }
    }
    else if (event.key === "Home") { event.preventDefault(); focusRow(all, 0); }
    else if (event.key === "End") { event.preventDefault(); focusRow(all, all.length - 1); }
    else if (event.key === "Enter") { event.preventDefault(); window.location.assign(target.dataset.href); }
    else if (event.key === "Escape") {
      var searchBox = document.querySelector("[data-search-box]");
      if (searchBox) { event.preventDefault(); searchBox.focus(); }
    }
  });

  // A click anywhere on a result row opens it (the name link still works on its own).
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-results] tr[data-href]");
    if (row && !event.target.closest("a")) { window.location.assign(row.dataset.href); }
  });
})();

// Navigation counts (open tasks): fetched after the page loads, so pages keep their own query counts.
(function () {
  "use strict";
  document.querySelectorAll("[data-count-url]").forEach(function (slot) {
    fetch(slot.dataset.countUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.count) { return; }
        slot.className = "badge nav-count";
        slot.textContent = String(data.count);
        var label = document.createElement("span");
        label.className = "visually-hidden";
        label.textContent = " " + (slot.dataset.countLabel || "");
        slot.appendChild(label);
      })
      .catch(function () { /* the count is a convenience; the Tasks page is the truth */ });
  });
})();
