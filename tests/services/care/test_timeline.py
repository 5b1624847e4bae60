"""The customer's timeline (app/services/care/timeline.py): interactions, tickets, repair
visits, orders, invoices, payments, dunning steps and messages in one stream, newest first,
filtered by kind, read a page at a time by keyset without skipping or repeating an entry."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models.crm import Region
from app.services.care import disputes, interactions, tickets, timeline, work_orders
from app.services.care.timeline import Cursor, Whose
from app.services.dunning import runs
from app.services.orders import orders
from app.services.payments import payments
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from app.services.platform.users import ensure_user
from tests.services.payments.billed import billed_account, invoices_of

LETTER_DAY = date(2026, 3, 3)


def _whose(account) -> Whose:
    return Whose(account.customer_id, [account.id])


@pytest.fixture
def account(ctx, tmp_path):
    """A customer with two bills, their emails, a dunning email (+5) and letter (+15), a
    payment, an order, a ticket, a fault ticket with its repair visit, a dispute and
    contacts, two of them at the same moment as the letter's day."""
    account = billed_account(tmp_path, "TL1")
    for day in (date(2026, 2, 17), LETTER_DAY):
        runs.run(day)
    payments.record(account, "35.38", "EUR", "cash", received_on=date(2026, 3, 4))
    orders.create("TL1", None, [], note="a second line, maybe")
    tickets.create(account.customer_id, None, category="billing", priority="normal",
                   subject="the letter is wrong")  # fmt: skip
    work_orders.create_repair(_fault(account))
    with acting_as("csr"):
        disputes.open_dispute(invoices_of(account)[1], "10.00", "roaming charged at home", None)
    customer = account.customer
    midnight = datetime.combine(LETTER_DAY, time(), UTC)
    for at in (midnight, midnight, midnight + timedelta(hours=9), midnight - timedelta(days=30)):
        interactions.record(customer, "call", "inbound", "about the letter", at=at,
                            now=midnight + timedelta(days=1))  # fmt: skip
    return account


def _fault(account, at=None):
    return tickets.create(account.customer_id, None, category="network_fault",
                          priority="high", subject="no dial tone",
                          service=account.services[0].id, now=at)  # fmt: skip


def _everything(whose, kinds=None) -> list[timeline.Entry]:
    return timeline.page(whose, kinds, limit=1000).entries


def test_every_kind_is_in_one_stream_newest_first(account):
    entries = _everything(_whose(account))
    assert {e.kind for e in entries} == set(timeline.SOURCES)
    cursors = [e.cursor for e in entries]
    assert cursors == sorted(cursors, reverse=True) and len(set(cursors)) == len(cursors)
    steps = [e for e in entries if e.kind == "dunning_step"]
    # a step carries its day only: it stands at the day's start
    assert {s.record.days for s in steps} == {5, 15}
    assert all(s.at == datetime.combine(s.record.taken_on, time(), UTC) for s in steps)


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_pages_follow_one_another_without_a_gap_or_a_repeat(account, size):
    whose = _whose(account)
    whole = [e.cursor for e in _everything(whose)]
    seen, cursor = [], None
    while True:
        page = timeline.page(whose, None, cursor, limit=size)
        assert len(page.entries) <= size
        seen += [e.cursor for e in page.entries]
        if page.next is None:
            break
        cursor = Cursor.parse(page.next.text())  # as the page's address carries it
    assert seen == whole


def test_the_stream_is_filtered_by_kind(account):
    whose = _whose(account)
    only = _everything(whose, ["interaction", "payment"])
    assert [e.kind for e in only].count("interaction") == 4
    assert {e.kind for e in only} == {"interaction", "payment"}
    assert _everything(whose, []) == []


def test_another_customers_entries_never_show(account, tmp_path):
    other = billed_account(tmp_path, "TL2", runs_on=(date(2026, 2, 1),))
    interactions.record(other.customer, "chat", "outbound", "hello")
    mine = {(e.kind, e.record.id) for e in _everything(_whose(account))}
    theirs = {(e.kind, e.record.id) for e in _everything(_whose(other))}
    assert mine and theirs and not mine & theirs


def test_a_page_costs_the_same_few_queries_however_long_the_history(account):
    """Set-based: a few queries per source (its rows and what they show), never one per
    entry."""
    whose = _whose(account)

    def queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            db.session.expire_all()
            timeline.page(whose, limit=10)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    few = queries()
    customer = account.customer
    for n in range(200):
        interactions.record(customer, "email", "outbound", f"newsletter {n}",
                            at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n))  # fmt: skip
    assert queries() == few <= 3 * len(timeline.SOURCES)


@pytest.mark.parametrize(
    "text",
    ["", "yesterday", "2026-03-03T00:00:00+00:00|parcel|1", "2026-03-03T00:00:00|order|1",
     "2026-03-03T00:00:00+00:00|order|x", "2026-03-03T00:00:00+00:00|order"],
)  # fmt: skip
def test_a_cursor_no_page_wrote_is_refused(text):
    with pytest.raises(DomainError, match="before: not a place in the timeline"):
        Cursor.parse(text)


def test_a_cursor_reads_back_as_written():
    cursor = Cursor(datetime(2026, 3, 3, 8, 0, 0, 123456, tzinfo=UTC), "dunning_step", 42)
    assert Cursor.parse(cursor.text()) == cursor


def test_a_repair_stands_when_raised_with_its_visit_technician_and_result(account):
    """Only the customer's own repairs: a planned work on their line shows as its notice."""
    whose = _whose(account)
    raised = datetime(2026, 3, 5, 9, tzinfo=UTC)
    visited = datetime(2026, 3, 6, 10, 30, tzinfo=UTC)
    rome = db.session.scalar(db.select(Region).filter_by(code="IT-C"))
    fixer = ensure_user("fixer", ["Technician"], "Xy7!long-enough-pass", first_name="Fixer",
                        last_name="Test", email="fixer@test.example", regions=[rome])  # fmt: skip
    repair = work_orders.create_repair(_fault(account, raised), now=raised)
    assert repair.assignee == fixer
    work_orders.schedule(repair, "2026-03-06", "11:00", "13:00", now=raised)
    work_orders.finish(work_orders.start(repair, now=visited), "fixed", 45, now=visited)
    work = work_orders.create_planned(account.customer.region_id, None, title="Cabinet swap",
                                      lines=account.services[0].service_id, now=raised)  # fmt: skip
    work_orders.schedule(work, "2026-03-10", "01:00", "05:00", now=raised)
    repairs = _everything(whose, ["work_order"])
    assert len(repairs) == 2 and work.id not in {e.record.id for e in repairs}
    shown = next(e for e in repairs if e.record.id == repair.id)
    # it stands when it was raised, however it moved since; its outcome as it is now
    assert shown.at == raised < shown.record.updated_at
    assert (shown.record.status, shown.record.result, shown.record.minutes) == ("done", "fixed", 45)
    notices = [e.record for e in _everything(whose, ["communication"])]
    assert any(n.kind == "planned_work" and n.details == {"work_order": work.id} for n in notices)
