// The order form's live price: the server computes it (GET data-quote-url), the page shows it.
// Without JavaScript the confirmation step shows the same price before anything is charged.
(function () {
  "use strict";

  var form = document.getElementById("order-form");
  if (!form) return;
  var input = form.querySelector("[name=accounts]");
  var price = form.querySelector("[data-price]");
  var problem = form.querySelector("[data-price-error]");
  var after = form.querySelector("[data-accounts-after]");
  var url = form.getAttribute("data-quote-url");
  var license = form.getAttribute("data-license");
  var initial = { price: price.textContent, after: after.textContent };
  var timer = null;
  var latest = 0;

  function show(priceText, afterText, error) {
    price.textContent = priceText;
    after.textContent = afterText;
    problem.textContent = error || "";
    problem.hidden = !error;
    price.hidden = Boolean(error);
  }

  function update() {
    var value = input.value.trim();
    var request = ++latest;
    if (!value) {
      show(initial.price, initial.after, null);
      return;
    }
    var query = "?accounts=" + encodeURIComponent(value);
    if (license) query += "&license=" + encodeURIComponent(license);
    fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .then(function (quote) {
        if (request !== latest) return; // an answer to an older keystroke
        if (quote.ok) show(quote.price, String(quote.accounts_after), null);
        else show(initial.price, initial.after, quote.error);
      })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  });
  if (input.value.trim()) update();
})();
