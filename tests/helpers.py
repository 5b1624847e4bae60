"""Small builders for test data, through the same import service operators use."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pypdf import PdfReader
from sqlalchemy import create_engine, text

from app.extensions import db
from app.models.crm import BillingAccount, Region
from app.models.numbers import NumberRange
from app.services.catalog import products
from app.services.crm import customer_import
from app.services.orders import number_pool
from app.services.platform.actor import acting_as

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


PRODUCTS = (
    "code,name,line_type,payment_mode,currency,monthly_fee,activation_fee,rate_plan,"
    "voice_min,sms,data_mb,min_credit_class\n"
    "SMART,Smart 5,mobile,postpaid,EUR,6.00,2.00,BASIC,5,2,10,\n"
    "MAX,Max 100,mobile,postpaid,EUR,40.00,10.00,BASIC,1000,100,50000,B\n"
    "HOME,Casa,fixed,postpaid,EUR,20.00,50.00,BASIC,0,0,0,\n"
    "TOPUP,Ricarica,mobile,prepaid,EUR,0,0,BASIC,0,0,0,\n"
)


def add_catalog(tmp_path, rows: str = PRODUCTS):
    path = tmp_path / "products.csv"
    path.write_text(rows, encoding="utf-8")
    summary = products.import_products(path)
    assert summary.rejected == 0, summary
    return summary


def add_pool(region_code: str, first: str, last: str, line_type: str = "mobile", days=30):
    region = db.session.scalar(db.select(Region).where(Region.code == region_code))
    pool = NumberRange(
        region=region, line_type=line_type, first=first, last=last, quarantine_days=days
    )
    db.session.add(pool)
    db.session.commit()
    number_pool.fill_range(pool)
    return pool


def ordering_customer(tmp_path, credit_class: str = "C", credit_limit=None) -> BillingAccount:
    """An Italian postpaid account with one active SMART line, a catalog and a number pool."""
    add_catalog(tmp_path)
    add_pool("IT-C", "393400000000", "393400000099")
    import_rows(
        tmp_path, "C1,individual,Ida,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000001,2026-01-01\n"
    )
    account = db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "A1"))
    account.credit_class = credit_class
    account.credit_limit = credit_limit
    db.session.commit()
    return account


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF, read back as a PDF reader would."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def in_threads(app, jobs, rounds: int) -> list[str]:
    """Runs `job(n)` for n in range(rounds), each job in a thread of its own (its own app
    context and session), all starting together; the errors they raised, which fail the
    caller's test (whatever they are)."""
    errors, barrier = [], threading.Barrier(len(jobs))

    def run(job):
        with app.app_context(), acting_as():
            barrier.wait()
            for n in range(rounds):
                try:
                    job(n)
                except Exception as exc:  # noqa: BLE001 - any error fails the caller's test
                    errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


class LocalServer:
    """A real HTTP server on localhost, serving from a thread until `close`."""

    def serve(self, handler: type[BaseHTTPRequestHandler], path: str = "") -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def cut_connections(app) -> None:
    """Cut every connection of the application to its PostgreSQL database, as a restart of
    the database would."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    engine.dispose()


# a header and a valid row (numbered n) of each kind of import the frame reads
IMPORT_ROWS = {
    "regions": (
        "code,name,country,timezone,currency,vat_rate,language",
        lambda n: f"R-{n},Region {n},IT,Europe/Rome,EUR,22,it",
    ),
    "products": (
        "code,name,line_type,payment_mode,currency,monthly_fee,activation_fee,rate_plan,"
        "voice_min,sms,data_mb,min_credit_class",
        lambda n: f"P{n},Product {n},mobile,postpaid,EUR,1.00,0,BASIC,0,0,0,",
    ),
    "customers": (
        "customer_ref,kind,name,parent_ref,region,language,account_ref,payment_mode,"
        "currency,bill_day,bill_to,product_code,service_id,activated_on",
        lambda n: (
            f"C{n},individual,Name {n},,IT-C,it,A{n},postpaid,EUR,5,,SMART,"
            f"3933300{n:05d},2026-01-01"
        ),
    ),
    "rates": (
        "plan,currency,usage_type,prefix,destination,band,from,price,per,increment,"
        "connect_fee,bundle",
        lambda n: f"PL{n},EUR,voice,39,Italy,any,0,0.10,60,1,0,no",
    ),
}
