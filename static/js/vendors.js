// Vendors pages: "/" jumps to the search box; after a "Check", focus moves to the check panel so keyboard and
// screen-reader users land on the differences. A served file (not inline) so the Content-Security-Policy stays strict.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
      target.isContentEditable);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var box = document.querySelector("[data-search-box]");
    if (box) { event.preventDefault(); box.focus(); box.select(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector("[data-focus-on-load]");
    if (panel) { panel.focus(); panel.scrollIntoView({ block: "start" }); }
  });
})();
