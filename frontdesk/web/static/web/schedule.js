// Schedule screens. No inline scripts (CSP): everything the day view does in the browser is here.
//
// 1. Let htmx show the server's error panels (409 slot taken, 422 invalid input, 403) instead of
//    silently dropping them.
// 2. Move an appointment on the day grid, by pointer drag or by keyboard (focus a block, press M,
//    arrows, Enter; Escape cancels). A ghost shows where it would go and a live region says it.
//    Confirming posts to the appointment's reschedule view (the same service as the panel's "Move":
//    database constraint, holds, audit, history); a refusal shows the server's panel and leaves
//    the block where it was; success refreshes the grid.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  var MINUTE = 60000;
  var move = null; // the move in progress: {block, grid, column, row, span, ghost, pointer}
  var suppressClick = false;
  var focusAfterRefresh = null;

  function gridOf(el) { return el.closest("#sched-grid"); }
  function columns(grid) { return Array.prototype.slice.call(grid.querySelectorAll(".sched-col[data-column]")); }
  function byRooms(grid) { return grid.dataset.columns === "rooms"; }
  function stepRows(grid) { return Math.max(1, Math.round(parseInt(grid.dataset.step || "5", 10) / 5)); }
  function rows(grid) { return parseInt(grid.dataset.rows, 10); }
  function gridStart(grid) { return new Date(grid.dataset.start); }

  function startOf(grid, row) { return new Date(gridStart(grid).getTime() + (row - 2) * 5 * MINUTE); }

  // The wall time shown on the time column for a row: the hour labels say what row 2 is locally.
  function label(grid, row) {
    var first = grid.querySelector(".sched-times .sched-hour");
    var parts = (first ? first.textContent : "00:00").split(":");
    var minutes = parseInt(parts[0], 10) * 60 + parseInt(parts[1], 10) + (row - 2) * 5;
    minutes = ((minutes % 1440) + 1440) % 1440;
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function columnName(column) {
    var name = column.querySelector(".sched-name");
    return name ? name.textContent.trim() : column.getAttribute("aria-label");
  }

  function announce(text) {
    var live = document.getElementById("sched-live");
    if (live) { live.textContent = ""; window.setTimeout(function () { live.textContent = text; }, 30); }
  }

  function clampRow(grid, row, span) { return Math.max(2, Math.min(row, rows(grid) + 2 - span)); }

  function placeGhost() {
    var ghost = move.ghost;
    ghost.className = "sched-ghost r-" + move.row + " rs-" + move.span;
    if (ghost.parentNode !== move.column) { move.column.appendChild(ghost); }
    ghost.textContent = label(move.grid, move.row) + " · " + columnName(move.column);
  }

  function begin(block, how) {
    var grid = gridOf(block);
    if (!grid || !grid.dataset.moveUrl) { return null; }
    var ghost = document.createElement("div");
    ghost.setAttribute("aria-hidden", "true");
    move = {
      block: block,
      grid: grid,
      home: block.closest(".sched-col"),
      column: block.closest(".sched-col"),
      row: parseInt(block.dataset.row, 10),
      span: parseInt(block.dataset.span, 10),
      ghost: ghost,
      how: how,
    };
    block.classList.add("sched-moving");
    grid.classList.add("sched-move-mode");
    placeGhost();
    return move;
  }

  function end() {
    if (!move) { return; }
    if (move.ghost.parentNode) { move.ghost.parentNode.removeChild(move.ghost); }
    move.block.classList.remove("sched-moving");
    move.grid.classList.remove("sched-move-mode");
    move = null;
  }

  function cancel(message) {
    var block = move && move.block;
    end();
    announce(message || "Move cancelled.");
    if (block) { block.focus(); }
  }

  function unchanged() { return move.row === parseInt(move.block.dataset.row, 10) && move.column === move.home; }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function showPanel(html) {
    var panel = document.getElementById("sched-panel");
    if (!panel) { return; }
    panel.innerHTML = html;
    if (window.htmx) { window.htmx.process(panel); }
  }

  function refreshGrid() { document.body.dispatchEvent(new CustomEvent("schedule-changed", { bubbles: true })); }

  function confirmMove() {
    if (unchanged()) { cancel("Not moved: same time and column."); return; }
    var m = move;
    var id = m.block.dataset.appointment;
    var body = new URLSearchParams();
    body.set("start", startOf(m.grid, m.row).toISOString());
    if (m.column.dataset.provider) { body.set("provider", m.column.dataset.provider); }
    var where = label(m.grid, m.row) + (m.column !== m.home ? " with " + columnName(m.column) : "");
    announce("Moving to " + where + "…");
    m.block.setAttribute("aria-busy", "true");
    fetch(m.grid.dataset.moveUrl.replace("{id}", encodeURIComponent(id)), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      body: body,
    }).then(function (response) {
      return response.text().then(function (html) { return { ok: response.ok, status: response.status, html: html }; });
    }).then(function (result) {
      m.block.removeAttribute("aria-busy");
      end();
      showPanel(result.html);
      if (result.ok) {
        var status = document.querySelector("#sched-panel [role=status]");
        announce(status ? status.textContent.trim() : "Moved to " + where + ".");
        focusAfterRefresh = { id: id, grid: m.grid };
        refreshGrid();
      } else {
        // Refused: the block never left its place; say why (the panel shows it too).
        var error = document.querySelector("#sched-panel .errorlist, #sched-panel .field-error");
        announce("Not moved. " + (error ? error.textContent.trim() : "The server refused the move (" + result.status + ")."));
        m.block.focus();
      }
    }).catch(function () {
      m.block.removeAttribute("aria-busy");
      end();
      announce("Not moved: the server could not be reached.");
      m.block.focus();
    });
  }

  // --- keyboard ---------------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!move) {
      if ((event.key === "m" || event.key === "M") && !event.ctrlKey && !event.metaKey && !event.altKey &&
          target.matches && target.matches("[data-appointment][data-movable]")) {
        event.preventDefault();
        if (begin(target, "keyboard")) {
          announce("Moving " + target.querySelector(".sched-patient").textContent + ", now " +
            label(move.grid, move.row) + " · " + columnName(move.column) +
            ". Arrow keys move, Enter confirms, Escape cancels.");
        }
      }
      return;
    }
    if (move.how !== "keyboard") {
      if (event.key === "Escape") { event.preventDefault(); cancel(); }
      return;
    }
    var grid = move.grid, step = stepRows(grid), cols = columns(grid), index = cols.indexOf(move.column);
    var handled = true;
    if (event.key === "ArrowUp") { move.row = clampRow(grid, move.row - step, move.span); }
    else if (event.key === "ArrowDown") { move.row = clampRow(grid, move.row + step, move.span); }
    else if (event.key === "PageUp") { move.row = clampRow(grid, move.row - 12, move.span); }
    else if (event.key === "PageDown") { move.row = clampRow(grid, move.row + 12, move.span); }
    else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      if (byRooms(grid)) {
        announce("Rooms are assigned by the booking rules; show provider columns to change the provider.");
        event.preventDefault();
        return;
      }
      var next = cols[index + (event.key === "ArrowLeft" ? -1 : 1)];
      if (next) { move.column = next; }
    }
    else if (event.key === "Enter") { event.preventDefault(); confirmMove(); return; }
    else if (event.key === "Escape") { event.preventDefault(); cancel(); return; }
    else if (event.key === "Tab") { cancel(); return; }
    else { handled = false; }
    if (handled) {
      event.preventDefault();
      placeGhost();
      move.ghost.scrollIntoView({ block: "nearest", inline: "nearest" });
      announce(label(grid, move.row) + " · " + columnName(move.column));
    }
  });

  // A block that loses focus in keyboard move mode (a click elsewhere) drops the move.
  document.addEventListener("focusout", function (event) {
    if (move && move.how === "keyboard" && event.target === move.block) {
      window.setTimeout(function () { if (move && move.how === "keyboard" && document.activeElement !== move.block) { cancel(); } }, 0);
    }
  });

  // --- pointer drag -----------------------------------------------------------------------------
  var pressed = null; // {block, x, y, pointerId} until the pointer moved far enough to be a drag

  function rowHeight(column) {
    var value = parseFloat(window.getComputedStyle(column).gridAutoRows);
    return value > 0 ? value : 8.8;
  }

  function columnAt(grid, x) {
    var cols = columns(grid);
    for (var i = 0; i < cols.length; i++) {
      var rect = cols[i].getBoundingClientRect();
      if (x >= rect.left && x < rect.right) { return cols[i]; }
    }
    return null;
  }

  document.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || move) { return; }
    var block = event.target.closest && event.target.closest("[data-appointment][data-movable]");
    if (!block || !gridOf(block) || !gridOf(block).dataset.moveUrl) { return; }
    pressed = { block: block, x: event.clientX, y: event.clientY, offsetY: event.clientY - block.getBoundingClientRect().top };
  });

  document.addEventListener("pointermove", function (event) {
    if (!pressed) { return; }
    if (!move) {
      if (Math.abs(event.clientX - pressed.x) + Math.abs(event.clientY - pressed.y) < 6) { return; }
      if (!begin(pressed.block, "pointer")) { pressed = null; return; }
      announce("Dragging. Release to move, Escape to cancel.");
    }
    event.preventDefault();
    var grid = move.grid;
    var column = columnAt(grid, event.clientX) || move.column;
    if (byRooms(grid)) { column = move.home; }
    var head = column.querySelector(".sched-head");
    var top = column.getBoundingClientRect().top + (head ? head.getBoundingClientRect().height : 0);
    var raw = 2 + Math.round((event.clientY - pressed.offsetY - top) / rowHeight(column));
    var step = stepRows(grid);
    move.column = column;
    move.row = clampRow(grid, 2 + Math.round((raw - 2) / step) * step, move.span);
    placeGhost();
  });

  document.addEventListener("pointerup", function () {
    if (!pressed) { return; }
    pressed = null;
    if (move && move.how === "pointer") {
      suppressClick = true; // the click that follows a drop must not open the panel
      window.setTimeout(function () { suppressClick = false; }, 0);
      if (unchanged()) { cancel("Not moved."); } else { confirmMove(); }
    }
  });

  document.addEventListener("pointercancel", function () {
    pressed = null;
    if (move && move.how === "pointer") { cancel(); }
  });

  document.addEventListener("click", function (event) {
    if (suppressClick) { event.stopImmediatePropagation(); event.preventDefault(); suppressClick = false; }
  }, true);

  // Native drag of the button's text would fight the pointer drag.
  document.addEventListener("dragstart", function (event) {
    if (event.target.closest && event.target.closest("[data-appointment][data-movable]")) { event.preventDefault(); }
  });

  // --- live updates during a move ---------------------------------------------------------------
  // The 5-second poll would replace the grid (and the ghost) under the user's hands: hold it back
  // while a move is in progress; it runs again on its next tick.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (move && event.target.classList && event.target.classList.contains("sched-poll")) { event.preventDefault(); }
  });

  // After a move the grid is replaced (outerHTML): give focus back to the moved appointment.
  function refocus() {
    if (!focusAfterRefresh) { return; }
    var block = document.querySelector('#sched-grid [data-appointment="' + focusAfterRefresh.id + '"]');
    if (block && gridOf(block) !== focusAfterRefresh.grid) {
      focusAfterRefresh = null;
      block.focus();
    }
  }
  document.addEventListener("htmx:afterSettle", refocus);
  document.addEventListener("htmx:load", refocus);
})();
