"""Accounts with overdue bills in each language, and dunning cases for them, for the
message and letter tests."""

from datetime import date

from app.extensions import db
from app.models.communications import Communication
from app.models.crm import BillingAccount, Customer
from app.models.dunning import DunningCase, DunningStep
from app.services.billing import runs
from app.services.dunning import messages, overdue, policies
from app.services.platform import bulk
from tests.services.billing.test_runs import _activate_all, _customers

# two bills each (due 2026-02-20 and 2026-03-20), both overdue on ON
ON = date(2026, 4, 10)
PRODUCTS = (
    "PIT,Piano,mobile,postpaid,EUR,10.00,0,P1,0,0,0,\n"
    "PKR,요금제,mobile,postpaid,KRW,33000,0,P2,0,0,0,\n"
    "PRU,Тариф,mobile,postpaid,RUB,500.00,0,P3,0,0,0,\n"
)
CUSTOMERS = (
    "L1,individual,John Smith,,IT-C,en,LA1,postpaid,EUR,5,,PIT,390000000001,2026-01-05\n"
    "L2,individual,Anna Neri,,IT-C,it,LA2,postpaid,EUR,5,,PIT,390000000002,2026-01-05\n"
    "L3,individual,김민준,,KR-SEL,ko,LA3,postpaid,KRW,5,,PKR,821000000001,2026-01-05\n"
    "L4,individual,Иван Петров,,RU-MOW,ru,LA4,postpaid,RUB,5,,PRU,790000000001,2026-01-05\n"
)
REFS = {"en": "LA1", "it": "LA2", "ko": "LA3", "ru": "LA4"}
# what the letter step says in each language (the .po's texts are not relied on)
TEXTS = {
    "en": (
        "Second reminder: {amount} overdue",
        "Dear {customer},\n\n{amount} on account {account} is unpaid since "
        "{oldest_due_date}, {days} days ago.\nPlease pay by {pay_by}.\n\n{operator}",
    ),
    "it": (
        "Secondo sollecito: {amount} scaduti",
        "Gentile {customer},\n\nl'importo di {amount} sul conto {account} non è pagato dal "
        "{oldest_due_date}, da {days} giorni.\nLa preghiamo di pagare entro il {pay_by}.",
    ),
    "ko": (
        "2차 독촉: {amount} 연체",
        "{customer} 고객님,\n\n계정 {account}의 {amount}이 {oldest_due_date}부터 {days}일째 "
        "미납입니다.\n{pay_by}까지 납부해 주십시오.",
    ),
    "ru": (
        "Второе напоминание: просрочено {amount}",
        "Уважаемый {customer},\n\nсумма {amount} по счёту {account} не оплачена с "
        "{oldest_due_date}, уже {days} дней.\nПожалуйста, оплатите до {pay_by}.",
    ),
}


def billed(tmp_path, contacts=None) -> None:
    """The four accounts, billed on 2026-02-05 and 2026-03-05; `contacts`: {ref: (email,
    phone, delivery channel)} (none by default: bills on paper)."""
    _customers(tmp_path, CUSTOMERS, products=PRODUCTS)
    _activate_all()
    for ref, (email, phone, channel) in (contacts or {}).items():
        account = account_of(ref)
        account.customer.email, account.customer.phone = email, phone
        account.delivery_channel = channel
    db.session.commit()
    runs.run(date(2026, 2, 5))
    runs.run(date(2026, 3, 5))


def account_of(ref: str) -> BillingAccount:
    return db.session.scalar(
        db.select(BillingAccount).join(Customer).where(BillingAccount.ref == ref)
    )


def step(action: str, languages=("en", "it", "ko", "ru")) -> DunningStep:
    """The default policy's step of the action (a new one on day 20 for SMS), written in
    the languages given: the others fall back to English."""
    policy = policies.ensure_default()
    existing = policies.ordered(s for s in policy.steps if s.action == action)
    found = existing[0] if existing else policies.add_step(policy, 20, action, "", *TEXTS["en"])
    for template in list(found.templates):
        if template.language not in languages:
            policies.delete_template(found, template.language)
    for language in languages:
        policies.set_template(found, language, *TEXTS[language])
    return found


def case(ref: str, on=ON):
    """A dunning case for the account on the date: (case, its overdue, its invoices)."""
    account = account_of(ref)
    found = overdue.by_account(on, [account.id])[account.id]
    opened = DunningCase(
        account=account,
        policy=policies.ensure_default(),
        currency=found.currency,
        opened_on=on,
        overdue_amount=found.amount,
        oldest_due_date=found.oldest_due_date,
        pursued_amount=found.amount,
    )
    db.session.add(opened)
    db.session.flush()
    return opened, found, overdue.invoices_by_account(on, [account.id])[account.id]


def queued(*args) -> tuple[Communication, str | None]:
    """`messages.queue`'s row written as the run writes it, committed; the communication
    and the note."""
    row, note = messages.queue(*args)
    (made,) = bulk.insert_dicts(Communication.__table__, [row], returning_ids=True)
    db.session.commit()
    return db.session.get(Communication, made), note
