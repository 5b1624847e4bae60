"""Prepaid money (docs/prepaid.md): voucher batches and their redemption, and the notice a
customer gets when the balance runs low. Top-ups themselves are payments
(app/services/payments/payments.py `record`, purpose topup)."""
