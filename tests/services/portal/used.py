"""A line with rated usage, for the portal's usage and prepaid tests: the samples of
docs/rating.md (customer CU1, line 393331234567, bill day 5, Europe/Rome) and records of
one's own, rated."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.extensions import db
from app.models.crm import BillingAccount, Service
from app.models.types import utcnow
from app.services.dataio import registry
from app.services.ledger import posting as ledger
from app.services.platform import periods
from app.services.usage import rating_runs
from tests.conftest import SAMPLES

NUMBER = "393331234567"
HEADER = "record_id,service_id,usage_type,started_at,destination,quantity\n"


def _import(kind, path):
    summary = registry.run(kind, path)
    assert summary.rejected == 0, summary
    return summary


def rated_line(tmp_path, cdrs: str | None = None, prepaid: str | None = None) -> Service:
    """CU1's line with the sample records (or `cdrs`, rows of docs/formats.md `cdrs`)
    rated; `prepaid`: the account is prepaid, topped up with that much before rating."""
    for kind in ("rates", "products", "customers"):
        _import(kind, SAMPLES / f"{kind}.csv")
    if prepaid is not None:
        account = db.session.scalar(db.select(BillingAccount).filter_by(ref="AC1"))
        account.payment_mode = "prepaid"
        db.session.commit()
        ledger.post(account.id, "topup", Decimal(prepaid), "voucher-1")
    if cdrs is None:
        _import("cdrs", SAMPLES / "cdrs.csv")
    else:
        path = tmp_path / "cdrs.csv"
        path.write_text(HEADER + cdrs, encoding="utf-8")
        _import("cdrs", path)
    rating_runs.rate_pending()
    return db.session.scalar(db.select(Service).filter_by(service_id=NUMBER))


def this_cycle(count: int = 1) -> list[datetime]:
    """`count` moments (UTC) of the current cycle of CU1's line, a second apart, before now."""
    now = utcnow()
    start = periods.cycle_start(5, now.astimezone(ZoneInfo("Europe/Rome")).date())
    first = datetime.combine(start, datetime.min.time(), ZoneInfo("Europe/Rome")).astimezone(UTC)
    middle = first + (now - first) / 2
    return [middle + timedelta(seconds=n) for n in range(count)]


def cdr(record_id: str, usage_type: str, moment: datetime, destination: str, quantity: int):
    return f"{record_id},{NUMBER},{usage_type},{moment.isoformat()},{destination},{quantity}\n"
