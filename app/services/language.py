"""Which language a customer's documents and screens use: chosen here and nowhere else."""

from app.models.crm import LANGUAGE_CODES, BillingAccount, Customer

DEFAULT_LANGUAGE = "en"


def is_language(code: str | None) -> bool:
    return code in LANGUAGE_CODES


def customer_language(customer: Customer) -> str:
    return customer.language or customer.region.language or DEFAULT_LANGUAGE


def account_language(account: BillingAccount) -> str:
    return account.language or customer_language(account.customer)
