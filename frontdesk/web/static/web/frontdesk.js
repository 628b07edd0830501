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
})();
