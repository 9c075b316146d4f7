"""A NestPay (EST) bank simulator for the tests and the demo: a separate process, standard library
only, run as `python -m billing.payments.nestpay_simulator --port P`.

It speaks the documented 3D Pay protocol:

- `POST /fim/est3Dgate`: the 3-D gate. Checks the required fields (clientid, oid, amount,
  currency, okUrl, failUrl, rnd, storetype, hashAlgorithm=ver3, hash, lang; taksit optional) and
  the ver3 hash with the store key of the clientid; 400 on a bad hash or field. The hash covers
  every posted field but the card's (pan, cv2, Ecom_Payment_Card_ExpDate_Month/_Year, cardType):
  the merchant never sees the card, so it cannot sign it.
  - storetype `3d_pay_hosting`: a test-card page, where the cardholder types or picks a card.
  - storetype `3d_pay`: the merchant's page holds the card inputs and the browser posts them to
    the gate with the signed fields. The gate checks them (pan 13-19 digits, expiry month 1-12
    and year of 2 or 4 digits not in the past, cv2 3-4 digits; 400 otherwise, and 400 "Card
    fields missing for 3D Pay" without a pan), then shows a 3-D Secure password page with a
    Confirm button.
  Submitting answers with a form that posts itself back to okUrl (approved) or failUrl, carrying
  the original fields (never the card's, only maskedCreditCard) plus mdStatus, ProcReturnCode,
  Response, AuthCode, TransId, ErrMsg and the bank's ver3 `HASH` over all of them.
- `POST /fim/api`: the XML API (`CC5Request` with Name, Password, ClientId; Type Credit or Void;
  order inquiry with `<Extra><ORDERSTATUS>QUERY</ORDERSTATUS></Extra>`, order history with
  `<Extra><ORDERHISTORY>QUERY</ORDERHISTORY></Extra>`), answering `CC5Response` in the shapes real
  banks send (ORDERSTATUS describes the latest transaction: the sale, or after a Credit that
  credit; ORDERHISTORY lists TRX1..n newest first, refused credits included; an unknown order is
  "No record found for <oid>"). The inquiry carries no currency and no installments, like the
  banks'.
- `POST /_config/merchants` (JSON {clientid: {store_key, api_user, api_password}}),
  `POST /_config/age` (JSON {oid, days}: makes a payment look older, to test same-day voids),
  `DELETE /_config/data` (forgets every order), `GET /_health`.

Test cards (any future expiry and any CVV):

| card number         | outcome                                                            |
| ------------------- | ------------------------------------------------------------------ |
| 4546711234567894    | approved: mdStatus 1, ProcReturnCode 00, Response Approved          |
| 4508034508034509    | 3-D authentication fails: mdStatus 0, Response Declined             |
| 4355084355084358    | declined by the bank: mdStatus 1, ProcReturnCode 51 (insufficient   |
|                     | funds), Response Declined                                           |
| 5406675406675403    | half secure (attempt): mdStatus 4, ProcReturnCode 00, Approved      |
| any other number    | declined: mdStatus 1, ProcReturnCode 05 (do not honour)             |
"""
