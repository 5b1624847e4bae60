"""Work order screens: raised from a ticket page, the Technician's queue on a phone
(start and finish from there, which resolves the ticket), planned works, region scope."""

from datetime import timedelta

from app.extensions import db
from app.models.tickets import Ticket
from app.models.types import utcnow
from app.models.work_orders import WorkOrder
from app.services.care import tickets, work_orders
from app.services.platform.actor import acting_as
from tests.services.care.ticketed import customer, line_of


def _fault(app, ref="WV1", region="RU-MOW") -> int:
    with app.app_context(), acting_as():
        person = customer(ref, region=region)
        return tickets.create(person.id, None, category="network_fault", priority="high",
                              subject="No dial tone", service=line_of(person).id).id  # fmt: skip


def _post(user, url, page, data=None):
    return user.client.post(url, data={**(data or {}), "csrf_token": user.csrf(page)},
                            follow_redirects=True)  # fmt: skip


def test_a_technician_raises_works_and_closes_a_repair_from_the_queue(app, login):
    ticket_id = _fault(app)
    technician = login("technician")
    page = f"/tickets/{ticket_id}"
    assert "create-work-order" in technician.get(page).get_data(as_text=True)
    shown = _post(technician, f"/care/work-orders/new/{ticket_id}", page)
    assert shown.status_code == 200
    with app.app_context():
        order_id = db.session.scalar(db.select(WorkOrder.id))
        with acting_as():
            order = db.session.get(WorkOrder, order_id)
            work_orders.schedule(order, (utcnow() + timedelta(days=1)).date().isoformat(),
                                 "09:00", "11:00")  # fmt: skip
    queue = technician.get("/care/my-work-orders/")
    html = queue.get_data(as_text=True)
    assert queue.status_code == 200
    assert 'name="viewport"' in html and "max-width: 40em" in html and "btn-lg" in html
    assert f"wo-{order_id}" in html and line_of_number(app, ticket_id) in html
    _post(technician, f"/care/work-orders/{order_id}/start", "/care/my-work-orders/",
          {"back": "mine"})  # fmt: skip
    done = _post(technician, f"/care/work-orders/{order_id}/finish", "/care/my-work-orders/",
                 {"back": "mine", "result": "fixed", "minutes": "40", "notes": "ok"})  # fmt: skip
    assert done.request.path == "/care/my-work-orders/"
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "resolved"
        assert db.session.get(WorkOrder, order_id).minutes == 40


def line_of_number(app, ticket_id) -> str:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).service.service_id


def test_csr_reads_but_does_not_raise_and_other_regions_are_not_found(app, login):
    moscow = _fault(app)
    with app.app_context(), acting_as():
        order_id = work_orders.create_repair(db.session.get(Ticket, moscow)).id
    csr = login("csr")  # IT-C
    assert csr.get(f"/care/work-orders/{order_id}").status_code == 404
    assert csr.get("/care/work-orders/").status_code == 200
    supervisor = login("supervisor")
    assert supervisor.get(f"/care/work-orders/{order_id}").status_code == 200
    italian = _fault(app, "WV2", region="IT-C")
    page = csr.get(f"/tickets/{italian}").get_data(as_text=True)
    assert "create-work-order" not in page


def test_a_supervisor_plans_a_work_on_an_area(app, login):
    _fault(app)
    supervisor = login("supervisor")
    assert supervisor.get("/care/planned-works/new").status_code == 200
    with app.app_context():
        from app.models.crm import Region

        region_id = db.session.scalar(db.select(Region.id).filter_by(code="RU-MOW"))
    shown = _post(supervisor, "/care/planned-works/new", "/care/planned-works/new",
                  {"region": region_id, "title": "Cabinet <b>swap</b>"})  # fmt: skip
    html = shown.get_data(as_text=True)
    assert "Cabinet &lt;b&gt;swap&lt;/b&gt;" in html and "affected-lines" in html
    assert "Cabinet" in supervisor.get("/care/planned-works/").get_data(as_text=True)
