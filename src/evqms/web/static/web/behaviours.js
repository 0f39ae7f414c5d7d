// Page behaviours wired by data-* attributes, so templates need no inline script or on...= handler
// (the Content-Security-Policy runs only the application's own script files: evqms.web.csp).
//   data-autosubmit              a select that submits its form when changed
//   data-set-field="ID"          a select whose value, when chosen, is copied to #ID and submits the form
//   data-show-dialog="ID"        a button that opens <dialog id="ID"> (data-select-item="V" also picks V
//                                in the dialog's select[name=item_id])
//   data-close-dialog            a button that closes the dialog it is in
//   data-print                   a button that prints the page
//   data-open-dialog="ID"        (on any element) <dialog id="ID"> is shown as soon as the page is
//                                loaded: a dialog's form came back with errors
// Every table in <main> is put in a <div class="table-scroll"> (unless it is in one already), so a
// wide table scrolls inside its box instead of the page scrolling sideways on a tablet or phone;
// while it is wider than its box, a line above it (the body's data-scroll-hint) says so.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLElement) || !el.form) return;
    if (el.hasAttribute("data-autosubmit")) {
      el.form.submit();
    } else if (el.hasAttribute("data-set-field") && el.value) {
      var target = document.getElementById(el.getAttribute("data-set-field"));
      if (target) target.value = el.value;
      el.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var el = event.target instanceof Element ? event.target.closest("[data-show-dialog],[data-close-dialog],[data-print]") : null;
    if (!el) return;
    if (el.hasAttribute("data-show-dialog")) {
      var dialog = document.getElementById(el.getAttribute("data-show-dialog"));
      if (!dialog) return;
      var item = el.getAttribute("data-select-item");
      if (item) {
        var select = dialog.querySelector("select[name=item_id]");
        if (select) select.value = item;
      }
      dialog.showModal();
    } else if (el.hasAttribute("data-close-dialog")) {
      var open = el.closest("dialog");
      if (open) open.close();
    } else if (el.hasAttribute("data-print")) {
      window.print();
    }
  });
  var scrollBoxes = [];
  function markWide() {
    scrollBoxes.forEach(function (pair) {
      pair[1].hidden = !pair[1].textContent || pair[0].scrollWidth <= pair[0].clientWidth + 1;
    });
  }
  function wrapTables() {
    var hint = document.body.getAttribute("data-scroll-hint") || "";
    document.querySelectorAll("main table:not([data-scroll-wrapped])").forEach(function (table) {
      table.setAttribute("data-scroll-wrapped", "");
      var box = table.parentElement;
      if (!box.classList.contains("table-scroll")) {
        box = document.createElement("div");
        box.className = "table-scroll";
        table.parentNode.insertBefore(box, table);
        box.appendChild(table);
      }
      var line = document.createElement("p");
      line.className = "scroll-hint";
      line.textContent = hint;
      line.hidden = true;
      box.parentNode.insertBefore(line, box);
      scrollBoxes.push([box, line]);
    });
    markWide();
  }
  window.addEventListener("resize", markWide);
  document.addEventListener("htmx:afterSettle", wrapTables);
  document.addEventListener("DOMContentLoaded", function () {
    wrapTables();
    document.querySelectorAll("[data-open-dialog]").forEach(function (el) {
      var d = document.getElementById(el.getAttribute("data-open-dialog"));
      if (d && !d.open) d.showModal();
    });
  });
})();
