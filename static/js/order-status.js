// The order page while a payment is being confirmed: ask the portal now and then, reload on a change.
// Without JavaScript the page has a plain Refresh link.
(function () {
  "use strict";

  var box = document.querySelector("[data-poll-url]");
  if (!box) return;
  var url = box.getAttribute("data-poll-url");
  var shown = box.getAttribute("data-status");
  var received = box.getAttribute("data-received") === "true";
  var delays = [1000, 1000, 1000, 1000, 1000, 2000, 2000, 2000, 3000, 3000, 5000];
  var attempt = 0;
  var giveUpAt = Date.now() + 10 * 60 * 1000;

  function schedule() {
    if (Date.now() > giveUpAt) return;
    setTimeout(check, delays[Math.min(attempt, delays.length - 1)]);
    attempt += 1;
  }

  function check() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (state) {
        if (state && (state.status !== shown || !state.waiting || Boolean(state.received) !== received)) {
          window.location.reload();
        } else {
          schedule();
        }
      })
      .catch(schedule);
  }

  schedule();
})();
