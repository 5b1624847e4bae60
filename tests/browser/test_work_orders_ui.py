"""A Technician on a phone, in Russian: opens their queue, opens a repair, starts it and
records the result and the time spent, and the fault ticket hears of it. Neither the
queue nor the work order's page scrolls sideways, and their controls are thumb-sized."""

from datetime import timedelta

import pytest
from babel.support import Translations

from app.extensions import db
from app.models.tickets import Ticket
from app.models.types import utcnow
from app.services.care import tickets, work_orders
from app.services.platform.actor import acting_as
from tests.browser.test_admin_ui import _sign_in
from tests.services.care.ticketed import customer, line_of

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
         "is_mobile": True, "has_touch": True}  # fmt: skip
# the least a finger hits reliably (Apple's and Google's guidelines: 44 and 48 CSS px)
THUMB = 44


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(**PHONE)
    yield context.new_page()
    context.close()


def _repair(ref: str, street: str, *, scheduled: bool):
    """A fault ticket of a Moscow customer and its repair, given to the region's
    Technician; (work order, ticket) ids and the number."""
    person = customer(ref, region="RU-MOW")
    person.street, person.city, person.postcode = street, "Москва", "115432"
    db.session.commit()
    ticket = tickets.create(person.id, None, category="network_fault", priority="high",
                            subject="Нет гудка на линии", service=line_of(person).id)  # fmt: skip
    repair = work_orders.create_repair(ticket, equipment="DSLAM-MSK-NAGATINO-0047",
                                       port="frame-3/slot-12/port-41")  # fmt: skip
    if scheduled:
        tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
        work_orders.schedule(repair, tomorrow, "09:00", "11:00")
    return repair.id, ticket.id, repair.number


def _fits_the_screen(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width}"


def _small_controls(page, scope: str) -> list[str]:
    """The visible buttons and fields under `scope` shorter than a thumb."""
    return page.evaluate(
        """([scope, least]) => [...document.querySelectorAll(
               `${scope} .btn, ${scope} input:not([type=hidden]), ${scope} select,
                ${scope} textarea`)]
             .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < least)
             .map(e => e.outerHTML.slice(0, 80))""",
        [scope, THUMB],
    )


def test_a_technician_closes_a_repair_from_their_phone(app, live_server, phone):
    with app.app_context(), acting_as():
        first, ticket_id, number = _repair("WP1", "проспект Андропова, д. 18, корп. 7",
                                           scheduled=True)  # fmt: skip
        second, _other_ticket, later = _repair("WP2", "Каширское шоссе, д. 3", scheduled=False)
    russian = Translations.load("app/translations", ["ru"])
    page = phone
    _sign_in(page, live_server, "technician")
    page.goto(f"{live_server}/lang/ru")

    page.goto(f"{live_server}/care/my-work-orders/")
    queue = page.locator("#my-work-orders")
    for wo, shown in ((first, number), (second, later)):
        assert shown in queue.locator(f"#wo-{wo}").inner_text()
    assert russian.gettext("Not scheduled") in queue.locator(f"#wo-{second}").inner_text()
    _fits_the_screen(page)
    assert _small_controls(page, "#my-work-orders") == []

    queue.locator(f"#wo-{first} h4 a").tap()
    page.wait_for_selector("#work-order")
    assert page.inner_text("#work-order-status") == russian.gettext("Scheduled")
    _fits_the_screen(page)
    assert _small_controls(page, "#work-order-decisions") == []
    page.locator("form[action$='/start'] button").tap()
    page.wait_for_selector("form[action$='/finish']")
    assert page.inner_text("#work-order-status") == russian.gettext("In progress")
    finish = page.locator("form[action$='/finish']")
    finish.locator("select[name=result]").select_option("fixed")
    finish.locator("input[name=minutes]").fill("35")
    finish.locator("textarea[name=notes]").fill("Заменён кросс-кабель")
    _fits_the_screen(page)
    finish.locator("button[type=submit]").tap()
    page.wait_for_selector("#work-order-result")
    assert page.inner_text("#work-order-status") == russian.gettext("Done")
    assert "35" in page.inner_text("#work-order-result")
    _fits_the_screen(page)

    # the ticket heard of it: resolved, with the result as its comment
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "resolved"
    page.goto(f"{live_server}/tickets/{ticket_id}")
    comments = page.inner_text("#ticket-comments")
    assert number in comments and "35" in comments and "Заменён кросс-кабель" in comments
    _fits_the_screen(page)  # its history table scrolls inside its own box
    # done, it leaves the queue; the other one waits
    page.goto(f"{live_server}/care/my-work-orders/")
    assert page.locator(f"#wo-{first}").count() == 0 and page.locator(f"#wo-{second}").count()
