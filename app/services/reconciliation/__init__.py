"""Bank reconciliation (docs/reconciliation.md): bank statements read, each credit entry
matched to an invoice or account and recorded as a payment, the rest queued for staff."""
