"""Online payment (docs/online-payment.md): checkout sessions paid on a gateway's page and
closed by its signed webhook; the built-in sandbox gateway and Stripe."""
