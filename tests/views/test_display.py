from datetime import UTC, date, datetime

from flask_babel import force_locale

from app.views import display


def test_changes_are_listed_per_field_and_escaped():
    text = display.changes_text({"name": ["Old", "New <b>"], "ref": "C1"})
    assert str(text) == "<b>name</b>: Old → New &lt;b&gt;<br><b>ref</b>: C1"


def test_dates_follow_the_language(app):
    moment = datetime(2026, 2, 9, 8, 5, tzinfo=UTC)
    with app.test_request_context():
        with force_locale("it"):
            assert display.local_date(date(2026, 2, 9)) == "9 feb 2026"
            assert display.local_datetime(moment) == "9 feb 2026, 08:05:00 UTC"
            assert display.local_datetime(moment, "Asia/Seoul") == "9 feb 2026, 17:05:00 Asia/Seoul"
        with force_locale("ru"):
            assert display.local_date(date(2026, 2, 9)) == "9 февр. 2026\u202fг."
        with force_locale("ko"):
            assert display.local_date(date(2026, 2, 9)) == "2026. 2. 9."
        assert display.local_date(None) == "—"


def test_codes_show_as_translated_labels(app):
    with app.test_request_context(), force_locale("it"):
        assert str(display.ENUM_FORMATTERS["payment_mode"]("postpaid")) == "Postpagato"
        assert str(display.AUDIT_FORMATTERS["action"]("update")) == "Modificato"


def test_amounts_follow_the_language(app):
    from decimal import Decimal

    with app.test_request_context():
        with force_locale("it"):
            assert display.local_amount(Decimal("1234.5000")) == "1.234,50"
        with force_locale("en"):
            assert display.local_amount(Decimal("0.0333")) == "0.0333"
