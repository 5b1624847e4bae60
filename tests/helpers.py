"""Small builders for test data, through the same import service operators use."""

from app.services import customer_import

HEADER = (
    "customer_ref,kind,name,parent_ref,region,language,account_ref,payment_mode,"
    "currency,bill_day,bill_to,product_code,service_id,activated_on\n"
)

THREE_REGIONS = (
    "IT1,individual,Anna Neri,,IT-C,it,IT1-A,postpaid,EUR,5,,SMART,393330000001,2026-01-01\n"
    "ITG,company,Gruppo Verdi,,IT-C,it,ITG-A,postpaid,EUR,5,,BIZ,393330000002,2026-01-01\n"
    "ITS,company,Verdi Sud,ITG,IT-C,it,ITS-A,postpaid,EUR,5,ITG-A,BIZ,393330000003,2026-01-01\n"
    "KR1,individual,김민준,,KR-SEL,ko,KR1-A,postpaid,KRW,10,,5G,821012340001,2026-01-01\n"
    "RU1,individual,Иван Петров,,RU-MOW,ru,RU1-A,prepaid,RUB,15,,SMART-RU,79160000001,2026-01-01\n"
)


def import_rows(tmp_path, rows: str = THREE_REGIONS):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    summary = customer_import.import_customers(path)
    assert summary.rejected == 0, summary
    return summary
