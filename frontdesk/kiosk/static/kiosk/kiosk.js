// The kiosk returns to its start screen by itself: after the "checked in" screen, and after a spell
// without touches (the server forgets the patient too; this only moves the screen along).
(function () {
  "use strict";
  var body = document.body;
  var start = body.getAttribute("data-start-url");
  if (!start) { return; }
  var back = function () { window.location.replace(start); };
  var done = parseInt(body.getAttribute("data-return-seconds") || "0", 10);
  if (done > 0) {
    window.setTimeout(back, done * 1000);
    return;
  }
  var onStart = window.location.pathname === start;
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "120", 10);
  var timer = null;
  var arm = function () {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () {
      if (onStart) {
        Array.prototype.forEach.call(document.querySelectorAll("input:not([type=hidden])"), function (el) {
          if (el.type === "checkbox") { el.checked = false; } else { el.value = ""; }
        });
        arm();
      } else {
        back();
      }
    }, idle * 1000);
  };
  ["click", "keydown", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, arm, { passive: true });
  });
  // Back/forward cache: a page restored from history must not show the previous patient.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && !onStart) { back(); }
  });
  arm();
})();
