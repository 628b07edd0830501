// Take payment: show the change due as the cash amounts are typed (the server computes it again).
(function () {
  "use strict";
  function cents(text) {
    var clean = String(text || "").replace(/[$,\s]/g, "");
    if (!/^\d+(\.\d{1,2})?$/.test(clean)) { return null; }
    var parts = clean.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }
  function update() {
    var amount = cents(document.getElementById("pay-cash").value);
    var given = cents(document.getElementById("pay-cash-tendered").value);
    var out = document.getElementById("pay-change");
    if (amount === null || given === null || given < amount) { out.textContent = "$0.00"; return; }
    var change = given - amount;
    out.textContent = "$" + Math.floor(change / 100) + "." + String(change % 100).padStart(2, "0");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("pay-form");
    if (!form) { return; }
    form.addEventListener("input", update);
    update();
  });
})();
