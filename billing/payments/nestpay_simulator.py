"""Run the NestPay bank simulator (billing/payments/nestpay/simulator, test cards in its
docstring) as its own process, standard library only:

    python -m billing.payments.nestpay_simulator --port 8430 \
        --merchant 100200127:STOREKEY:apiuser:apipass [--merchants merchants.json]

A store key containing ":" goes in the JSON file ({clientid: {store_key, api_user, api_password}}).
"""

from __future__ import annotations

from billing.payments.nestpay.simulator.server import main

if __name__ == "__main__":
    main()
