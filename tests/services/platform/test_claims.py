"""A conditional status change: of two claims of one status, only the first moves it."""

from app.extensions import db
from app.models.payments import Payment
from app.services.payments import payments
from app.services.platform.claims import claim
from tests.services.payments.billed import billed_account


def test_a_record_moves_out_of_a_status_once(ctx, tmp_path):
    payment = payments.record(billed_account(tmp_path), "10.00", "EUR", "cash").payment
    assert claim(Payment, payment.id, "posted", status="reversed", reversal_reason="first")
    assert not claim(Payment, payment.id, "posted", status="reversed", reversal_reason="again")
    db.session.commit()
    db.session.refresh(payment)
    assert (payment.status, payment.reversal_reason) == ("reversed", "first")
