"""The interaction log (app/services/care/interactions.py): a contact with its channel,
direction, agent, time and notes, the account and line it was about and its files; all of
it or nothing; never changed afterwards, corrected by a new entry; read a page at a time."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Region, Service
from app.models.interactions import Interaction, InteractionAttachment
from app.services.care import interactions
from app.services.care.interactions import Filters, Upload
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError, NotFound
from tests.helpers import THREE_REGIONS, import_rows
from tests.services.care import files
from tests.services.care.files import attachment_dir_fixture, stored_files  # noqa: F401

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _customer(ref: str) -> Customer:
    return db.session.scalar(select(Customer).where(Customer.ref == ref))


def _account(ref: str) -> BillingAccount:
    return db.session.scalar(select(BillingAccount).where(BillingAccount.ref == ref))


def _region_ids(*codes) -> list[int]:
    return list(db.session.scalars(select(Region.id).where(Region.code.in_(codes))))


@pytest.fixture
def customers(ctx, tmp_path):
    # Anna Neri (IT1) has a second account with a line of its own
    second = (
        "IT1,individual,Anna Neri,,IT-C,it,IT1-B,postpaid,EUR,5,,SMART,393330000009,2026-01-01\n"
    )
    import_rows(tmp_path, THREE_REGIONS + second)


def _log(ref="IT1", notes="asked about roaming", **kwargs) -> Interaction:
    kwargs.setdefault("now", NOW)
    return interactions.record(
        _customer(ref),
        kwargs.pop("channel", "call"),
        kwargs.pop("direction", "inbound"),
        notes,
        **kwargs,
    )


def test_a_call_is_logged_with_its_agent_line_and_files(customers, attachment_dir):
    line = db.session.scalar(select(Service).where(Service.service_id == "393330000001"))
    with acting_as("csr"):
        entry = _log(
            line_id=str(line.id),
            at="2026-03-01T14:30",  # in the customer's region: Rome, an hour ahead of UTC
            uploads=[Upload("call.wav", files.wav()), Upload("id card.pdf", files.png())],
        )
    db.session.expire_all()
    entry = db.session.get(Interaction, entry.id)
    assert (entry.channel, entry.direction, entry.username) == ("call", "inbound", "csr")
    assert entry.at == datetime(2026, 3, 1, 13, 30, tzinfo=UTC)
    assert entry.created_at == NOW
    # the line says which account it was about
    assert (entry.service.service_id, entry.account.ref) == ("393330000001", "IT1-A")
    assert [(a.filename, a.kind) for a in entry.attachments] == [
        ("call.wav", "wav"),
        ("id card.pdf", "png"),
    ]
    assert sorted(a.sha256 for a in entry.attachments) == stored_files(attachment_dir)
    assert str(entry) == f"INT-{entry.id:06d}"


def test_without_a_time_the_contact_is_now(customers):
    assert _log().at == NOW


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channel": "fax"}, "channel: 'fax' is not one of call, visit, email, chat, portal"),
        ({"direction": ""}, "direction: required"),
        ({"notes": "  "}, "notes: required"),
        ({"notes": "a\x07b"}, "notes: contains a control character"),
        ({"notes": "x" * 10_001}, "notes: longer than 10000 characters"),
        ({"at": "2026-03-02T11:00"}, "at: a contact cannot take place in the future"),
        ({"at": "yesterday"}, "at: not a date and time"),
        ({"account_id": "abc"}, "account: a whole number"),
    ],
)
def test_bad_input_is_refused_naming_the_field(customers, kwargs, message):
    with pytest.raises(DomainError, match=message):
        _log(**kwargs)
    assert db.session.scalar(select(func.count(Interaction.id))) == 0


def test_the_account_and_line_must_be_the_customers(customers):
    other = _account("KR1-A")
    with pytest.raises(DomainError, match="account: not an account of this customer"):
        _log(account_id=other.id)
    kr_line = db.session.scalar(select(Service).where(Service.account_id == other.id))
    with pytest.raises(DomainError, match="line: not a line of this customer"):
        _log(line_id=kr_line.id)
    # ITS is billed to ITG but is a customer of its own: its line is not ITG's
    its_line = db.session.scalar(select(Service).where(Service.service_id == "393330000003"))
    with pytest.raises(DomainError, match="line: not a line of this customer"):
        _log("ITG", line_id=its_line.id)
    first, second = (
        db.session.scalar(select(Service).where(Service.service_id == number))
        for number in ("393330000001", "393330000009")
    )
    with pytest.raises(DomainError, match="line: not a line of the account chosen"):
        _log(account_id=_account("IT1-A").id, line_id=second.id)
    assert _log(account_id=_account("IT1-A").id, line_id=first.id).service == first


def test_one_refused_file_refuses_the_whole_entry(customers, attachment_dir):
    uploads = [Upload("call.mp3", files.ALLOWED["mp3"]()), Upload("scan.pdf", files.PROGRAM)]
    with pytest.raises(DomainError, match="attachment: the content of scan.pdf is exe"):
        _log(uploads=uploads)
    assert db.session.scalar(select(func.count(Interaction.id))) == 0
    assert db.session.scalar(select(func.count(InteractionAttachment.id))) == 0


def test_the_log_is_never_changed_and_a_correction_is_a_new_entry(customers):
    first = _log(notes="promised a call back on Monday")
    first.notes = "promised a call back on Tuesday"
    with pytest.raises(interactions.InteractionImmutable, match="never changed"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(Interaction, first.id))
    with pytest.raises(interactions.InteractionImmutable):
        db.session.commit()
    db.session.rollback()
    first = db.session.get(Interaction, first.id)
    fixed = _log(notes="promised a call back on Tuesday", corrects=first)
    assert fixed.corrects_id == first.id and first.notes == "promised a call back on Monday"
    assert interactions.corrections(first) == [fixed]
    with pytest.raises(DomainError, match="corrects: not an interaction of this customer"):
        _log("KR1", corrects=first)


def test_staff_of_another_region_do_not_find_an_entry(customers):
    entry = _log()
    assert interactions.get(entry.id, _region_ids("IT-C")) == entry
    with pytest.raises(NotFound):
        interactions.get(entry.id, _region_ids("KR-SEL"))
    with pytest.raises(NotFound):
        interactions.customer(_customer("IT1").id, _region_ids("RU-MOW"))


def test_the_list_filters_and_pages_by_time_without_skipping_or_repeating(customers):
    start = NOW - timedelta(days=10)
    made = []
    for n in range(7):
        channel = ("call", "email", "chat")[n % 3]
        with acting_as("csr" if n % 2 else "billing"):
            # two entries share each moment: paging must tell them apart by id
            made.append(_log(channel=channel, at=start + timedelta(days=n // 2)).id)
    made.append(_log("KR1", at=start).id)
    it = _region_ids("IT-C")

    seen, before = [], None
    while True:
        rows, before = interactions.search(it, Filters(), before, limit=3)
        seen += [row.id for row in rows]
        if before is None:
            break
    by_time = db.session.scalars(
        select(Interaction.id)
        .where(Interaction.id.in_(made[:7]))
        .order_by(Interaction.at.desc(), Interaction.id.desc())
    ).all()
    assert seen == list(by_time)

    def ids(**filters):
        return {row.id for row in interactions.search(it, Filters(**filters))[0]}

    assert ids(channel="email") == {made[1], made[4]}
    assert ids(agent="csr") == {made[1], made[3], made[5]}
    assert ids(customer_ref="KR1") == set()  # another region's customer
    assert interactions.search(None, Filters(customer_ref="KR1"))[0][0].id == made[7]
    assert ids(since=start + timedelta(days=3)) == {made[6]}
    assert ids(until=start + timedelta(days=1)) == {made[0], made[1]}
