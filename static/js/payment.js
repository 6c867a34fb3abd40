// The payment page (PRODUCT.md section 4): Stripe.js sets up the card, the portal charges it,
// and Stripe.js completes 3-D Secure when the bank asks for it. Data comes in data- attributes.
(function () {
  "use strict";

  var form = document.getElementById("payment-form");
  if (!form) return;
  var button = document.getElementById("pay-button");
  var errorBox = document.getElementById("payment-error");
  var buttonLabel = button.textContent;

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  if (typeof window.Stripe !== "function") {
    showError("The card form could not be loaded. Please reload the page.");
    return;
  }

  var data = form.dataset;
  var stripe = window.Stripe(data.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  button.disabled = false;

  var clientSecret = data.clientSecret;
  var paymentMethod = null; // kept after a network failure: the same card retried is never charged twice
  var busy = false;

  function setBusy(state) {
    busy = state;
    button.disabled = state;
    button.textContent = state ? "Processing…" : buttonLabel;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": data.csrfToken,
      },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () {
        return {
          error: response.status === 429
            ? "Too many payment attempts. Please wait a while before trying again."
            : "The payment could not be completed. Please try again.",
          retry: response.status >= 500,
        };
      });
    });
  }

  // A declined card or a failed authentication uses up the SetupIntent: the next card needs a new one.
  async function startOver() {
    paymentMethod = null;
    var answer = await post(data.setupUrl);
    if (answer.redirect) {
      window.location.assign(answer.redirect);
      return true;
    }
    if (answer.client_secret) clientSecret = answer.client_secret;
    return false;
  }

  async function authenticate(secret) {
    var result = await stripe.confirmCardPayment(secret);
    if (result.error) {
      showError(result.error.message);
      return startOver();
    }
    window.location.assign(data.orderUrl);
    return true;
  }

  // People type card numbers as printed ("4242 4242 4242 4242", or with dashes). Stripe's own
  // card field accepts that; a plain input field (a stand-in for it) gets the digits only.
  function tidyCardNumber() {
    var fields = document.querySelectorAll("#card-element input");
    fields.forEach(function (field) {
      if (/^[\d\s-]+$/.test(field.value) && /\d{4}[\s-]+\d/.test(field.value)) {
        field.value = field.value.replace(/[\s-]+/g, "");
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
  }

  // Stripe's short answers to a malformed card ("Bad request") become a sentence.
  function cardMessage(error) {
    var message = (error && error.message) || "";
    if (!message || /^bad request$/i.test(message.trim())) {
      return "The card details are not complete or not valid: check the card number, expiry date and security code, then try again.";
    }
    return message;
  }

  async function pay() {
    if (!paymentMethod) {
      tidyCardNumber();
      var setup = await stripe.confirmCardSetup(clientSecret, { payment_method: { card: card } });
      if (setup.error) {
        showError(cardMessage(setup.error));
        return startOver();
      }
      paymentMethod = setup.setupIntent.payment_method;
      if (paymentMethod && paymentMethod.id) paymentMethod = paymentMethod.id;
    }
    var answer = await post(data.payUrl, { payment_method: paymentMethod });
    if (answer.redirect) {
      window.location.assign(answer.redirect);
      return true;
    }
    if (answer.status === "requires_action") return authenticate(answer.client_secret);
    showError(answer.error || "The payment could not be completed. Please try again.");
    if (!answer.retry) return startOver();
    return false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    showError(null);
    setBusy(true);
    pay()
      .then(function (leaving) {
        if (!leaving) setBusy(false);
      })
      .catch(function () {
        showError("The payment could not be completed. Please check your connection and try again.");
        setBusy(false);
      });
  });

  var resume = document.getElementById("resume-button");
  if (resume && data.resumeSecret) {
    resume.disabled = false;
    resume.addEventListener("click", function () {
      if (busy) return;
      setBusy(true);
      authenticate(data.resumeSecret).then(function (leaving) {
        if (!leaving) setBusy(false);
      });
    });
  }
})();
