/* Card entry and 3-D Secure through Stripe.js: card numbers go from this page to Stripe only.
   #card-setup: mount the Card Element, confirm the SetupIntent, post its id back.
   #payment-confirm: let Stripe.js run the bank's confirmation, then post back to ask the server. */
(function () {
  "use strict";
  var setup = document.getElementById("card-setup");
  if (setup) {
    var stripe = Stripe(setup.dataset.stripeKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var errors = document.getElementById("card-errors");
    var button = setup.querySelector("[type=submit]");
    setup.addEventListener("submit", function (event) {
      if (setup.elements.setup_intent.value) return; // confirmed: let the form go
      event.preventDefault();
      button.disabled = true;
      errors.textContent = "";
      stripe.confirmCardSetup(setup.dataset.clientSecret, {payment_method: {card: card}})
        .then(function (result) {
          if (result.error || !result.setupIntent) {
            errors.textContent = (result.error && result.error.message) || setup.dataset.errorGeneric;
            errors.style.display = "";
            button.disabled = false;
            return;
          }
          setup.elements.setup_intent.value = result.setupIntent.id;
          setup.submit();
        });
    });
  }
  var confirm = document.getElementById("payment-confirm");
  if (confirm) {
    Stripe(confirm.dataset.stripeKey)
      .confirmCardPayment(confirm.dataset.clientSecret)
      .then(function () { confirm.submit(); }, function () { confirm.submit(); });
  }
})();
