// The scan page (/scan/): where the browser can read codes (the BarcodeDetector API) and has a
// camera (getUserMedia, which browsers give only on HTTPS or on this machine), a button starts
// the camera; a code read fills the box and opens it, as Enter would. Elsewhere the page stays a
// box to type into, which is also how a hardware scanner, acting as a keyboard, delivers a code.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var camera = document.getElementById("scan-camera");
    var form = document.getElementById("scan-form");
    var input = document.getElementById("scan-code");
    var noCamera = document.getElementById("scan-no-camera");
    if (!camera || !form || !input) return;
    var capable =
      "BarcodeDetector" in window &&
      navigator.mediaDevices &&
      typeof navigator.mediaDevices.getUserMedia === "function";
    if (!capable) {
      noCamera.hidden = false;
      return;
    }
    window.BarcodeDetector.getSupportedFormats()
      .then(function (formats) {
        if (formats.indexOf("qr_code") < 0) {
          noCamera.hidden = false;
          return;
        }
        wire(new window.BarcodeDetector({ formats: ["qr_code", "code_128", "data_matrix"].filter(function (f) { return formats.indexOf(f) >= 0; }) }));
      })
      .catch(function () {
        noCamera.hidden = false;
      });

    function wire(detector) {
      var start = document.getElementById("scan-start");
      var stop = document.getElementById("scan-stop");
      var video = document.getElementById("scan-video");
      var status = document.getElementById("scan-status");
      var stream = null;
      var timer = null;
      camera.hidden = false;

      function say(key, code) {
        status.textContent = (camera.getAttribute("data-" + key) || "").replace("{code}", code || "");
      }
      function halt() {
        if (timer) window.clearTimeout(timer);
        timer = null;
        if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
        stream = null;
        video.hidden = true;
        stop.hidden = true;
        start.hidden = false;
      }
      function look() {
        detector
          .detect(video)
          .then(function (codes) {
            if (codes.length && codes[0].rawValue) {
              say("found", codes[0].rawValue);
              halt();
              input.value = codes[0].rawValue;
              form.submit();
            } else if (stream) {
              timer = window.setTimeout(look, 250);
            }
          })
          .catch(function () {
            if (stream) timer = window.setTimeout(look, 500);
          });
      }
      start.addEventListener("click", function () {
        say("starting");
        navigator.mediaDevices
          .getUserMedia({ video: { facingMode: "environment" }, audio: false })
          .then(function (s) {
            stream = s;
            video.srcObject = s;
            video.hidden = false;
            start.hidden = true;
            stop.hidden = false;
            return video.play();
          })
          .then(function () {
            say("looking");
            look();
          })
          .catch(function () {
            halt();
            say("refused");
            input.focus();
          });
      });
      stop.addEventListener("click", function () {
        halt();
        status.textContent = "";
        input.focus();
      });
      window.addEventListener("pagehide", halt);
    }
  });
})();
