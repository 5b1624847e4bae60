"""Which language a customer's documents and screens use: chosen here and nowhere else."""

from flask_babel import force_locale
from sqlalchemy import func

from app.models.crm import LANGUAGE_CODES, BillingAccount, Customer

DEFAULT_LANGUAGE = "en"


def is_language(code: str | None) -> bool:
    return code in LANGUAGE_CODES


def customer_language(customer: Customer) -> str:
    return customer.language or customer.region.language or DEFAULT_LANGUAGE


def account_language(account: BillingAccount) -> str:
    return account.language or customer_language(account.customer)


def account_language_sql(account, customer, region):
    """`account_language` as an SQL expression over the three tables' columns (bill runs
    read thousands of accounts at once)."""
    return func.coalesce(
        func.nullif(account.language, ""),
        func.nullif(customer.language, ""),
        func.nullif(region.language, ""),
        DEFAULT_LANGUAGE,
    )


def portal_language(chosen: str | None, accept_languages) -> str:
    """The portal's language: the one the customer chose, else the best of the browser's
    (its Accept-Language), else English."""
    if is_language(chosen):
        return chosen
    return accept_languages.best_match(LANGUAGE_CODES) or DEFAULT_LANGUAGE


def in_english(message) -> str:
    """A lazily translated message as text kept for staff of every language to read later
    (a step's note, a case's history): in English, like the CLI's."""
    with force_locale(DEFAULT_LANGUAGE):
        return str(message)
