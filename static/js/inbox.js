// Keyboard shortcuts for the approvals inbox: j/k move, a/r/i decide, c writes a comment.
// A served file (not inline) so the Content-Security-Policy can stay strict.
(function () {
  "use strict";
  function items() { return Array.from(document.querySelectorAll("[data-inbox-item]")); }
  function current() {
    var active = document.activeElement;
    return active ? active.closest("[data-inbox-item]") : null;
  }
  function move(step) {
    var list = items();
    if (!list.length) { return; }
    var index = list.indexOf(current());
    var next = list[Math.min(list.length - 1, Math.max(0, index + step))] || list[0];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.tagName === "SELECT")) {
      if (event.key === "Escape") { var row = target.closest("[data-inbox-item]"); if (row) { row.focus(); } }
      return;
    }
    var item = current();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "c": if (item) { item.querySelector("textarea").focus(); event.preventDefault(); } break;
      case "a": case "r": case "i":
        if (item) { item.querySelector('[data-shortcut="' + event.key + '"]').click(); }
        break;
      default: return;
    }
  });
  // After htmx swaps a decided row, keep the keyboard user moving: focus the next open item.
  document.body.addEventListener("htmx:afterSwap", function () {
    var open = items();
    if (open.length) { open[0].focus(); }
  });
})();
