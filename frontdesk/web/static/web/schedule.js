// Schedule screens: let htmx show the server's error panels (409 slot taken, 422 invalid input, 403)
// instead of silently dropping them; no inline scripts (CSP).
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
