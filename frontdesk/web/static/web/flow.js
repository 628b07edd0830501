// Front desk screens (check-in list, flow board). No inline scripts (CSP): everything is here.
//
// 1. Let htmx show the server's error panels (409, 422, 403) instead of dropping them.
// 2. The wait clocks tick every 15 seconds between server refreshes, and turn amber / red past the
//    board's thresholds (data-amber / data-red minutes).
// 3. Keyboard: on the board, arrow keys move between cards (up/down within a column, left/right
//    between columns); Enter opens the card's panel (it is a button). A panel that opens moves the
//    focus to its first control.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The serve clock and this browser's clock may differ: measure the offset once per board render.
  var offset = 0;
  function syncClock() {
    var board = document.getElementById("flow-board");
    if (board && board.dataset.now) { offset = parseInt(board.dataset.now, 10) * 1000 - Date.now(); }
  }

  function tick() {
    var board = document.getElementById("flow-board");
    if (!board) { return; }
    var amber = parseInt(board.dataset.amber || "15", 10), red = parseInt(board.dataset.red || "30", 10);
    var now = Date.now() + offset;
    board.querySelectorAll("[data-ticks]").forEach(function (card) {
      var minutes = Math.max(0, Math.floor((now - parseInt(card.dataset.since, 10) * 1000) / 60000));
      var inState = card.querySelector("[data-in-state]");
      if (inState) { inState.textContent = String(minutes); }
      var wait = card.querySelector("[data-wait]");
      if (wait && card.dataset.arrived) {
        wait.textContent = String(Math.max(0, Math.floor((now - parseInt(card.dataset.arrived, 10) * 1000) / 60000)));
      }
      card.classList.toggle("lvl-red", minutes >= red);
      card.classList.toggle("lvl-amber", minutes >= amber && minutes < red);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { syncClock(); tick(); });
  window.setInterval(tick, 15000);

  var refocus = null;
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "flow-panel") {
      var first = target.querySelector("[autofocus], input:not([type=hidden]), select, button");
      if (first) { first.focus(); }
    }
    if (target && target.id === "flow-board") { syncClock(); tick(); }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (refocus) {
      var again = document.querySelector('[data-card][hx-get="' + refocus + '"]');
      if (again && document.activeElement === document.body) { again.focus(); }
      refocus = null;
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    if (event.detail.target && event.detail.target.id === "flow-board" && active && active.matches && active.matches("[data-card]")) {
      refocus = active.getAttribute("hx-get");
    }
  });

  function cardsOf(column) { return Array.prototype.slice.call(column.querySelectorAll("[data-card]")); }

  document.addEventListener("keydown", function (event) {
    var card = event.target;
    if (!(card.matches && card.matches("[data-card]"))) { return; }
    var column = card.closest(".flow-col");
    var columns = Array.prototype.slice.call(document.querySelectorAll(".flow-col"));
    var cards = cardsOf(column);
    var index = cards.indexOf(card);
    var next = null;
    if (event.key === "ArrowDown") { next = cards[index + 1]; }
    else if (event.key === "ArrowUp") { next = cards[index - 1]; }
    else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      var step = event.key === "ArrowRight" ? 1 : -1;
      for (var c = columns.indexOf(column) + step; c >= 0 && c < columns.length; c += step) {
        var other = cardsOf(columns[c]);
        if (other.length) { next = other[Math.min(index, other.length - 1)]; break; }
      }
    }
    if (next) { event.preventDefault(); next.focus(); }
  });
})();
