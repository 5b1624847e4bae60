"""Planned works: the affected customers emailed beforehand in their language when the
work is scheduled, and the fault tickets opened on its lines during the window linked."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.services.care import planned_works, tickets, work_orders
from app.services.platform.errors import DomainError
from tests.services.care.ticketed import customer, line_of, rome

MONDAY = rome(2026, 3, 2, 10)


def _people():
    anna = customer("PW1", language="it", email="anna@example.test")
    bruno = customer("PW2", language="en", email="bruno@example.test")
    carla = customer("PW3", email="carla@example.test")
    for person, city in ((anna, "Roma"), (bruno, "roma"), (carla, "Milano")):
        person.city = city
    db.session.commit()
    return anna, bruno, carla


def test_the_area_customers_are_told_beforehand_in_their_language(ctx, smtp):
    mailbox, _server = smtp
    anna, bruno, carla = _people()
    work = work_orders.create_planned(anna.region_id, None, title="Cabinet upgrade",
                                      city="Roma", now=MONDAY)  # fmt: skip
    assert {line.id for line in planned_works.affected_lines(work)} == {
        line_of(anna).id, line_of(bruno).id}  # fmt: skip
    work_orders.schedule(work, "2026-03-10", "01:00", "05:00", now=MONDAY)
    assert work.status == "scheduled" and work.notified_at == MONDAY
    summary = planned_works.send_notices(MONDAY)
    assert summary.sent == 2
    by_recipient = {message["To"]: message for message in mailbox.messages}
    assert set(by_recipient) == {"anna@example.test", "bruno@example.test"}
    italian = by_recipient["anna@example.test"]
    assert italian["Content-Language"] == "it"
    assert line_of(anna).service_id in italian.get_content()
    english = by_recipient["bruno@example.test"].get_content()
    assert "Cabinet upgrade" in english and "1:00" in english  # on Rome's clock
    # sent once
    assert planned_works.send_notices(MONDAY + timedelta(hours=1)).sent == 0


def test_a_work_on_a_set_of_lines_and_its_fault_tickets(ctx):
    anna, bruno, _carla = _people()
    work = work_orders.create_planned(anna.region_id, [anna.region_id], title="Port swap",
                                      lines=line_of(bruno).service_id, now=MONDAY)  # fmt: skip
    assert planned_works.affected_lines(work) == [line_of(bruno)]
    work_orders.schedule(work, "2026-03-10", "01:00", "05:00", now=MONDAY)
    during = rome(2026, 3, 10, 2)

    def fault(person, at):
        return tickets.create(person.id, None, category="network_fault", priority="high",
                              subject="Down", service=line_of(person).id, now=at)  # fmt: skip

    linked = fault(bruno, during)
    fault(anna, during)  # not an affected line
    fault(bruno, rome(2026, 3, 10, 6))  # after the window
    assert planned_works.linked_tickets(work) == [linked]
    assert planned_works.covering(linked) == [work]


def test_an_unknown_line_or_another_region_is_refused(ctx):
    anna, _bruno, _carla = _people()
    korean = customer("PW4", region="KR-SEL")
    for region_ids, lines, field in (
        (None, "3933000", "lines"),
        (None, line_of(korean).service_id, "lines"),
        ([korean.region_id], "", "region"),
    ):
        with pytest.raises(DomainError) as refused:
            work_orders.create_planned(anna.region_id, region_ids, title="X", lines=lines)
        assert refused.value.field == field
        db.session.rollback()
