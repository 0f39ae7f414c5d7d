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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-open-dialog]").forEach(function (el) {
      var d = document.getElementById(el.getAttribute("data-open-dialog"));
      if (d && !d.open) d.showModal();
    });
  });
})();
