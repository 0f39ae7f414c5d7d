// Idle sign-out warning. The server ends a session after data-idle-timeout seconds without a request
// (evqms.accounts.middleware); data-idle-warning seconds before that, a banner counts down with a
// "Stay signed in" button that pings the server (which renews the session). At the end the page
// goes to the login page. Requests made by htmx count as activity, as they do on the server.
(function () {
  "use strict";
  var body = document.body;
  var timeout = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  var warning = parseInt(body.getAttribute("data-idle-warning") || "0", 10);
  var banner = document.getElementById("idle-warning");
  if (!timeout || !banner) return;
  var text = banner.querySelector("[data-idle-text]");
  var button = document.getElementById("stay-signed-in");
  var lastActivity = Date.now();
  var timer = null;

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function remaining() {
    return Math.ceil(timeout - (Date.now() - lastActivity) / 1000);
  }
  function tick() {
    var left = remaining();
    if (left <= 0) {
      var next = encodeURIComponent(window.location.pathname + window.location.search);
      window.location.assign(body.getAttribute("data-login-url") + "?next=" + next);
      return;
    }
    if (left <= warning) {
      text.textContent = text.getAttribute("data-template").replace("{s}", String(left));
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
    timer = window.setTimeout(tick, 1000);
  }
  function renewed() {
    lastActivity = Date.now();
    banner.hidden = true;
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    fetch(body.getAttribute("data-ping-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken()},
    }).then(function (response) {
      button.disabled = false;
      if (response.ok) {
        renewed();
      } else {
        window.location.reload();  // the session has already ended: the server shows the login page
      }
    }, function () {
      button.disabled = false;
    });
  });
  document.body.addEventListener("htmx:afterRequest", renewed);
  tick();
})();
