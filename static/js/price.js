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
  var label = form.querySelector("[data-price-label]");
  var field = input.closest(".field");
  var hint = field.querySelector(".hint");
  var url = form.getAttribute("data-quote-url");
  var license = form.getAttribute("data-license");
  var initial = { price: price.textContent, after: after.textContent, label: label.textContent };
  var timer = null;
  var latest = 0;

  // The amount's message is said once, under the field (where the server puts it too);
  // the price box then shows no price, so the two never disagree.
  function fieldError(message) {
    var shown = field.querySelector(".field-error");
    if (message) {
      if (!shown) {
        shown = document.createElement("p");
        shown.className = "field-error";
        shown.id = input.id + "-error";
        field.appendChild(shown);
      }
      shown.textContent = message;
      field.classList.add("has-error");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", shown.id);
      if (hint) hint.hidden = true;
    } else {
      if (shown) shown.remove();
      field.classList.remove("has-error");
      input.removeAttribute("aria-invalid");
      if (hint) {
        hint.hidden = false;
        input.setAttribute("aria-describedby", hint.id);
      } else {
        input.removeAttribute("aria-describedby");
      }
    }
  }

  function show(labelText, priceText, afterText, error) {
    label.textContent = labelText;
    price.textContent = priceText;
    after.textContent = afterText;
    problem.hidden = true;
    price.hidden = Boolean(error);
    fieldError(error);
  }

  function update() {
    var value = input.value.trim();
    var request = ++latest;
    if (!value) {
      show(initial.label, initial.price, initial.after, null);
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
        if (quote.ok) show("Price", quote.price, String(quote.accounts_after), null);
        else show("No price until the amount is corrected.", "", initial.after, quote.error);
      })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  });
  if (input.value.trim()) update();
})();
