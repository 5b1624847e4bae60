"""Demo customer care: what a few weeks of care leave behind, so every care screen has a
story — contacts logged with a sample of customers (one with a scanned form, one with a
photo), trouble tickets of every category and priority at every step of their workflow
(one reopened, one breached and escalated, one resolved late with its SLA credit), a
repair visit done and one to come, planned works past and to come, bill disputes decided
each way and one open, and the knowledge base (app/demo/knowledge.py) linked to tickets.

Everything goes through the care services, as staff would do it, dated in the past with
the services' `now`, and acted by the demo's staff (the region's CSR, the technician,
billing, the supervisor): every rule holds, every step is in the audit and the
histories. Customers' emails are queued, sent by the scheduler's jobs. The sample is
bounded (SAMPLE customers a region), so a demo of 10,000 customers takes no longer.

Idempotent: each part is made once — the interactions when the log is empty, the tickets
when there are none, the planned works and the disputes likewise.
"""

import random
import struct
import zlib
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from app.demo import knowledge as demo_knowledge
from app.extensions import db
from app.models.billing import Invoice, InvoiceStatus
from app.models.catalog import Product
from app.models.crm import BillingAccount, Customer, PaymentMode, Region, Service
from app.models.disputes import Dispute
from app.models.interactions import Interaction
from app.models.security import AbonentUser
from app.models.tickets import Ticket
from app.models.types import utcnow
from app.models.work_orders import WorkOrder, WorkOrderKind
from app.services.billing import invoice_status, invoices
from app.services.care import disputes, interactions, knowledge, sla, tickets, work_orders
from app.services.platform.actor import acting_as
from app.services.platform.money import round_money

SAMPLE = 12  # customers a region who have been in touch
# region → its customer care agent (app/demo/seed.py STAFF) and its customers' language
AGENTS = {"IT-C": "csr", "KR-SEL": "csr_ko", "RU-MOW": "csr_ru"}
LANGUAGES = {"IT-C": "it", "KR-SEL": "ko", "RU-MOW": "ru"}
DAYS_OF_CONTACTS = 28


# --------------------------------------------------------------------------- interactions

# channel, direction, who (the region's agent, or billing), what about (an account, a
# line or neither), notes
CONTACTS = {
    "it": (
        ("call", "inbound", "billing", "account",
         "Il cliente chiede chiarimenti sull'importo dell'ultima bolletta. Spiegati il canone "
         "e il traffico oltre soglia; il cliente è soddisfatto."),
        ("call", "outbound", "agent", None,
         "Richiamato il cliente per confermare l'attivazione della nuova offerta. Nessuna "
         "risposta, lasciato un messaggio in segreteria."),
        ("chat", "inbound", "agent", "line",
         "Chat: il cliente non riesce a navigare all'estero. Il roaming dati era disattivato; "
         "attivato su sua richiesta."),
        ("visit", "inbound", "agent", "line",
         "Visita in negozio: sostituita la SIM danneggiata, verificato il documento "
         "d'identità."),
        ("portal", "inbound", "agent", "account",
         "Messaggio dal portale: chiede di ricevere la bolletta via email invece che per "
         "posta."),
        ("email", "outbound", "billing", "account",
         "Inviato al cliente il riepilogo dei pagamenti degli ultimi tre mesi, come "
         "richiesto."),
        ("call", "inbound", "agent", "line",
         "Linea disturbata nelle ore serali. Test da remoto senza anomalie: consigliato il "
         "riavvio del modem, il cliente richiamerà se il problema continua."),
    ),
    "ko": (
        ("call", "inbound", "billing", "account",
         "고객이 지난달 청구 금액을 문의함. 기본료와 데이터 초과 사용 요금을 설명함. 고객 "
         "이해함."),
        ("call", "outbound", "agent", None,
         "새 요금제 변경을 확인하려고 전화함. 받지 않아 문자 남김."),
        ("chat", "inbound", "agent", "line",
         "채팅: 해외에서 데이터가 안 된다고 함. 데이터 로밍이 꺼져 있어 요청에 따라 켬."),
        ("visit", "inbound", "agent", "line",
         "대리점 방문: 분실 신고 후 유심 재발급, 신분증 확인 완료."),
        ("portal", "inbound", "agent", "account",
         "포털 메시지: 종이 청구서 대신 이메일 청구서로 바꿔 달라는 요청."),
        ("email", "outbound", "billing", "account",
         "요청하신 최근 3개월 납부 내역을 이메일로 보냄."),
        ("call", "inbound", "agent", "line",
         "저녁 시간 통화 품질 불량 신고. 원격 점검 결과 이상 없음, 단말기 재부팅 안내. 계속되면 "
         "다시 연락하기로 함."),
    ),
    "ru": (
        ("call", "inbound", "billing", "account",
         "Клиент уточнил сумму последнего счёта. Объяснили абонентскую плату и трафик сверх "
         "пакета; вопрос закрыт."),
        ("call", "outbound", "agent", None,
         "Позвонили клиенту, чтобы подтвердить подключение нового тарифа. Не дозвонились, "
         "отправили СМС."),
        ("chat", "inbound", "agent", "line",
         "Чат: клиент за границей, не работает мобильный интернет. Роуминг данных был "
         "выключен, включили по просьбе клиента."),
        ("visit", "inbound", "agent", "line",
         "Визит в офис продаж: заменили повреждённую SIM-карту, проверили паспорт."),
        ("portal", "inbound", "agent", "account",
         "Сообщение из личного кабинета: просит присылать счета по электронной почте "
         "вместо бумажных."),
        ("email", "outbound", "billing", "account",
         "Отправили клиенту выписку платежей за последние три месяца по его запросу."),
        ("call", "inbound", "agent", "line",
         "Жалоба на помехи при звонках по вечерам. Удалённая проверка неисправностей не "
         "выявила, рекомендовали перезагрузить роутер."),
    ),
}  # fmt: skip
# the first contact of a region's first sample customer, with the file kept with it
ATTACHED = {
    "it": ("email", "inbound",
           "Il cliente invia il modulo di reclamo firmato per un addebito che non riconosce.",
           "modulo_reclamo.pdf"),
    "ko": ("portal", "inbound",
           "고객이 공유기 표시등 사진을 보냄. 인터넷(PON) 표시등이 빨간색으로 깜박임.",
           "공유기_사진.png"),
}  # fmt: skip
CORRECTION = (
    "Correzione: la nota precedente indica la linea sbagliata; il contatto riguardava la "
    "linea fissa di casa, non il cellulare."
)


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with the lines in Helvetica: the scanned form of the demo."""
    text = "\n".join(
        "({}) '".format(line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)"))
        for line in lines
    )
    content = f"BT /F1 12 Tf 16 TL 72 770 Td\n{text}\nET".encode("cp1252", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _png() -> bytes:
    """A small PNG: a dark router front with a red light blinking beside two green ones."""
    width, height = 96, 32
    lights = {20: (40, 200, 60), 44: (40, 200, 60), 68: (230, 30, 30)}
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # no filter
        for x in range(width):
            colour = (30, 30, 36)
            for centre, lit in lights.items():
                if (x - centre) ** 2 + (y - 16) ** 2 <= 16:
                    colour = lit
            row += bytes(colour)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))  # fmt: skip

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))  # fmt: skip


def _attachment(language: str, customer: Customer) -> interactions.Upload:
    if language == "it":
        form = _pdf([
            "Abonent Italia S.p.A. - Modulo di reclamo",
            "",
            f"Cliente: {customer.name} ({customer.ref})",
            "Oggetto: addebito non riconosciuto nell'ultima bolletta",
            "",
            "Firma del cliente: ____________________",
        ])  # fmt: skip
        return interactions.Upload(ATTACHED[language][3], form)
    return interactions.Upload(ATTACHED[language][3], _png())


def _first_line(customer: Customer) -> Service | None:
    return db.session.scalar(
        select(Service)
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .where(BillingAccount.customer_id == customer.id)
        .order_by(Service.id)
        .limit(1)
    )


def _contact_time(rnd: random.Random, now: datetime, zone: str) -> datetime:
    """A moment of the last weeks in the region's working hours."""
    clock = time(rnd.randint(9, 17), rnd.choice((0, 10, 20, 30, 40, 50)))
    return _local(now, zone, rnd.randint(1, DAYS_OF_CONTACTS), clock)


def seed_interactions(sample: dict[str, list[Customer]], now: datetime) -> int:
    """Two to four contacts with each sample customer; how many were logged."""
    if db.session.scalar(select(exists().where(Interaction.id.is_not(None)))):
        return 0
    logged = 0
    for code, customers in sample.items():
        language = LANGUAGES[code]
        for index, customer in enumerate(customers):
            rnd = random.Random(customer.ref)
            zone = customer.region.timezone
            line = _first_line(customer)
            picked = rnd.sample(CONTACTS[language], 2 + index % 3)
            entries = [(_contact_time(rnd, now, zone), *contact, ()) for contact in picked]
            if index == 0 and language in ATTACHED:
                channel, direction, notes, _name = ATTACHED[language]
                upload = _attachment(language, customer)
                entries.append((_contact_time(rnd, now, zone), channel, direction, "agent",
                                "account", notes, (upload,)))  # fmt: skip
            entries.sort(key=lambda entry: entry[0])
            for at, channel, direction, who, about, notes, uploads in entries:
                with acting_as(AGENTS[code] if who == "agent" else who):
                    entry = interactions.record(
                        customer, channel, direction, notes, at=at,
                        account_id=line.account_id if line and about else None,
                        line_id=line.id if line and about == "line" else None,
                        uploads=uploads, now=at + timedelta(minutes=rnd.randint(3, 25)),
                    )  # fmt: skip
                logged += 1
            if code == "IT-C" and index == 1:
                # a contact logged with a slip, corrected by a new entry naming it
                with acting_as(AGENTS[code]):
                    interactions.record(
                        customer, entry.channel, entry.direction, CORRECTION, at=entry.at,
                        account_id=entry.account_id, corrects=entry,
                        now=entry.created_at + timedelta(minutes=40),
                    )  # fmt: skip
                logged += 1
    return logged


# --------------------------------------------------------------------------- tickets


class Step(NamedTuple):
    hours: float  # after the ticket was opened
    who: str  # "agent": the region's customer care
    action: str
    args: tuple = ()


class Story(NamedTuple):
    region: str
    category: str
    priority: str
    # the line it is about: None, "any", "fixed" (a home line), "postpaid" (one billed)
    line: str | None
    # when it was opened: (days ago, "HH:MM" on the region's clock) or hours ago
    opened: tuple[int, str] | float
    subject: str
    description: str
    steps: tuple[Step, ...] = ()


def _s(hours, action, *args, who="agent") -> Step:
    return Step(hours, who, action, args)


TECH = "technician"
# every category and priority, every status: new, assigned, in progress, waiting for the
# customer, resolved, closed, reopened; the running ones opened recently enough to be
# within their SLA when seeded but Moscow's critical complaint, which the breach check
# escalates
STORIES = (
    Story("IT-C", "network_fault", "critical", "postpaid", (10, "09:40"),
          "Linea senza servizio dati e voce",
          "Da stamattina la linea non naviga e non riceve chiamate. Il cliente ha già "
          "riavviato il telefono.",
          (_s(0.2, "assign", "network", None),
           _s(1, "move", "in_progress", "Verifica in corso sulla cella che serve la zona.", False),
           _s(1.1, "link", "no-internet"),
           _s(3, "comment", "Gentile cliente, abbiamo individuato un guasto all'antenna della "
              "sua zona: i tecnici sono al lavoro.", True),
           _s(100, "move", "resolved", "Il servizio è stato ripristinato dopo la "
              "sostituzione di un apparato della cella. Ci scusiamo per il disagio.", True),
           _s(170, "move", "closed", "", False))),
    Story("IT-C", "billing", "high", None, (3, "11:20"),
          "Canone addebitato due volte",
          "Il cliente vede due volte il canone mensile nell'ultima bolletta.",
          (_s(0.5, "assign", "billing", None),
           _s(1, "move", "in_progress", "", False),
           _s(1.2, "link", "read-your-bill"),
           _s(3, "move", "waiting_customer", "Può inviarci la ricevuta del pagamento, così "
              "da verificare l'addebito?", True))),
    Story("IT-C", "service_request", "normal", "any", 3.0,
          "Attivazione del roaming per un viaggio in Giappone",
          "Il cliente parte la prossima settimana e chiede di attivare il roaming dati con "
          "un pacchetto per il Giappone."),
    Story("IT-C", "complaint", "low", None, (6, "15:10"),
          "Attesa troppo lunga al servizio clienti",
          "Il cliente lamenta 25 minuti di attesa al telefono prima di parlare con un "
          "operatore.",
          (_s(1, "assign", "front_office", None),
           _s(2, "move", "in_progress", "", False),
           _s(2.5, "comment", "Verificati i tempi di attesa del giorno: picco di chiamate "
              "dopo l'invio delle bollette.", False),
           _s(24, "move", "resolved", "Ci scusiamo per l'attesa: abbiamo rafforzato il "
              "servizio nelle ore di punta.", True),
           _s(72, "move", "closed", "", False))),
    Story("IT-C", "service_request", "low", None, 2.0,
          "Cambio dell'indirizzo di fatturazione",
          "Il cliente si è trasferito e chiede di ricevere le bollette al nuovo indirizzo.",
          (_s(0.2, "assign", None, "csr"),)),
    Story("IT-C", "billing", "normal", "any", (4, "10:00"),
          "Servizio a pagamento non richiesto",
          "Il cliente contesta l'addebito di un abbonamento SMS che non ricorda di aver "
          "attivato.",
          (_s(0.5, "move", "in_progress", "", False),
           _s(3, "move", "resolved", "Abbiamo disattivato il servizio e bloccato i servizi "
              "a sovrapprezzo sulla linea.", True),
           _s(90, "move", "in_progress", "Il cliente richiama: l'addebito compare anche "
              "nella nuova bolletta. Riaperto.", False))),
    Story("KR-SEL", "network_fault", "high", "fixed", 2.0,
          "인터넷 연결이 자주 끊김",
          "오늘 오전부터 홈 광랜 인터넷이 수시로 끊긴다고 신고함. 공유기 재부팅 후에도 "
          "같음.",
          (_s(0.2, "assign", "network", None),
           _s(0.5, "move", "in_progress", "원격으로 회선 상태를 점검하는 중.", False))),
    Story("KR-SEL", "billing", "low", None, (7, "14:00"),
          "자동이체 출금일 변경 문의",
          "월급일 이후로 자동이체 출금일을 바꿀 수 있는지 문의함.",
          (_s(1, "assign", "billing", None),
           _s(2, "move", "in_progress", "", False),
           _s(5, "link", "read-your-bill"),
           _s(6, "move", "resolved", "출금일은 청구일에 맞춰 정해지며, 다음 달부터 25일로 "
              "변경해 드렸습니다.", True))),
    Story("KR-SEL", "service_request", "high", None, 5.0,
          "법인 회선 3개 추가 개통 요청",
          "신입 사원용 휴대폰 회선 3개를 이번 주 안에 추가 개통해 달라는 요청.",
          (_s(0.3, "assign", "front_office", "csr_ko"),)),
    Story("KR-SEL", "complaint", "normal", None, (2, "16:30"),
          "대리점 직원의 불친절한 응대",
          "고객이 대리점에서 유심 교체 중 불친절한 응대를 받았다고 항의함.",
          (_s(1, "move", "in_progress", "", False),
           _s(2, "comment", "해당 대리점 점장에게 경위 확인을 요청함.", False),
           _s(4, "move", "waiting_customer", "방문하신 대리점과 날짜를 알려 주시면 바로 "
              "확인하겠습니다.", True))),
    Story("KR-SEL", "billing", "critical", "any", 0.7,
          "납부했는데 회선이 정지됨",
          "어제 미납 요금을 납부했는데도 회선이 정지되었다고 함. 납부 영수증 있음."),
    Story("RU-MOW", "network_fault", "normal", "fixed", (6, "09:30"),
          "Нет домашнего интернета",
          "С утра не работает домашний интернет, индикатор PON на роутере мигает красным.",
          (_s(0.3, "move", "in_progress", "Удалённая диагностика: нет сигнала на порту ONT, "
              "нужен выезд мастера.", False),
           _s(0.5, "repair", "ONT Huawei HG8245H", "OLT-MSK-07 0/3/12", who=TECH),
           _s(1, "visit", 1, "10:00", "12:00", who=TECH),
           _s(24.7, "start", who=TECH),
           _s(25.9, "finish", "fixed", 75, "Заменили повреждённый оптический патч-корд "
              "в подъезде, уровень сигнала в норме.", who=TECH))),
    Story("RU-MOW", "network_fault", "low", "fixed", 20.0,
          "Низкая скорость интернета по вечерам",
          "По вечерам скорость падает до 5 Мбит/с, днём всё в порядке.",
          (_s(0.5, "move", "in_progress", "Потери на линии выше нормы, нужен выезд.", False),
           _s(1, "repair", "ONT ZTE F670L", "OLT-MSK-02 0/1/5", who=TECH),
           _s(1.5, "visit", 2, "14:00", "16:00", who=TECH))),
    Story("RU-MOW", "service_request", "critical", None, (9, "12:00"),
          "Срочное восстановление SIM-карты",
          "Директор компании потерял телефон перед командировкой, нужна новая SIM-карта "
          "с тем же номером сегодня.",
          (_s(0.3, "assign", "front_office", "csr_ru"),
           _s(1, "move", "in_progress", "", False),
           _s(3, "move", "resolved", "Новая SIM-карта выдана в офисе, номер восстановлен.",
              True),
           _s(50, "move", "closed", "", False))),
    Story("RU-MOW", "complaint", "critical", None, (8, "11:00"),
          "Жалоба: ошибочно заблокирована корпоративная линия",
          "Линию заблокировали за долг, хотя счёт оплачен вовремя; клиент не может "
          "работать.",
          (_s(0.5, "assign", "front_office", "csr_ru"),
           _s(1, "move", "in_progress", "Проверяем, почему линия была заблокирована.", False),
           _s(2, "comment", "Мы разбираемся в ситуации и сообщим результат в ближайшее "
              "время.", True))),
    Story("RU-MOW", "complaint", "high", None, 1.0,
          "Плохое качество связи в офисе",
          "В офисе клиента на третьем этаже связь постоянно пропадает.",
          (_s(0.1, "assign", "front_office", None),)),
)  # fmt: skip


def _local(now: datetime, zone: str, days_ago: int, clock: time) -> datetime:
    """`clock` on the region's clock `days_ago` days before now's day (a day earlier if
    that is still to come), in UTC."""
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date() - timedelta(days=days_ago)
    moment = datetime.combine(day, clock, tz).astimezone(UTC)
    return moment if moment <= now else moment - timedelta(days=1)


def _opened(story: Story, now: datetime, zone: str) -> datetime:
    if isinstance(story.opened, tuple):
        days_ago, clock = story.opened
        return _local(now, zone, days_ago, time.fromisoformat(clock))
    return now - timedelta(hours=story.opened)


def _user_id(username: str) -> int:
    return db.session.scalar(select(AbonentUser.id).where(AbonentUser.username == username))


class Picker:
    """Each story's customer: the next sample customer of its region with the line it
    needs (else the region's first demo customer with one), so no customer gets two
    stories — but in a demo too small for that; nor a line of the kind: then any line."""

    def __init__(self, sample: dict[str, list[Customer]]):
        self.sample = sample
        self.used: set[int] = set()

    def _line(self, region: str, need: str, fresh: bool) -> Service | None:
        query = (
            select(Service)
            .join(BillingAccount, Service.account_id == BillingAccount.id)
            .join(Customer, BillingAccount.customer_id == Customer.id)
            .join(Region, Customer.region_id == Region.id)
            .where(Region.code == region, Customer.ref.like("DEMO-%"))
            .order_by(Customer.ref, Service.id)
            .limit(1)
        )
        if fresh:
            query = query.where(Customer.id.not_in(self.used or [0]))
        if need == "fixed":
            fixed = select(Product.code).where(Product.line_type == "fixed")
            query = query.where(Service.product_code.in_(fixed))
        elif need == "postpaid":
            query = query.where(BillingAccount.payment_mode == PaymentMode.POSTPAID)
        ids = [c.id for c in self.sample[region]]
        return db.session.scalar(query.where(Customer.id.in_(ids))) or db.session.scalar(query)

    def pick(self, region: str, need: str | None) -> tuple[Customer, Service | None]:
        for fresh in (True, False):
            for wanted in (need or "any", "any"):
                line = self._line(region, wanted, fresh)
                if line is not None:
                    customer = line.account.customer
                    self.used.add(customer.id)
                    return customer, line if need else None
        raise LookupError(f"the demo has no customer in {region}")


def _play(ticket: Ticket, story: Story, opened: datetime, now: datetime,
          articles: dict) -> None:  # fmt: skip
    """The story's steps, each by its actor at its time (never later than now)."""
    region = story.region
    zone = ticket.customer.region.timezone
    language = LANGUAGES[region]
    work_order = None
    count = len(story.steps)
    for index, step in enumerate(story.steps):
        at = min(opened + timedelta(hours=step.hours), now - timedelta(minutes=count - index))
        who = AGENTS[region] if step.who == "agent" else step.who
        with acting_as(who):
            if step.action == "assign":
                team, person = step.args
                tickets.assign(ticket, team, _user_id(person) if person else None, now=at)
            elif step.action == "move":
                to, comment, public = step.args
                tickets.transition(ticket, to, comment, public, now=at)
            elif step.action == "comment":
                tickets.add_comment(ticket, *step.args, now=at)
            elif step.action == "link":
                knowledge.link(ticket, articles[step.args[0]][language].id, now=at)
            elif step.action == "repair":
                equipment, port = step.args
                work_order = work_orders.create_repair(ticket, equipment=equipment, port=port,
                                                       now=at)  # fmt: skip
            elif step.action == "visit":
                days, starts, ends = step.args
                day = at.astimezone(ZoneInfo(zone)).date() + timedelta(days=days)
                work_orders.schedule(work_order, day.isoformat(), starts, ends, now=at)
            elif step.action == "start":
                work_orders.start(work_order, now=at)
            elif step.action == "finish":
                work_orders.finish(work_order, *step.args, now=at)


def seed_tickets(picker: Picker, now: datetime, articles: dict) -> int:
    """The stories' tickets, then the breach check the scheduler runs; how many tickets."""
    if db.session.scalar(select(exists().where(Ticket.id.is_not(None)))):
        return 0
    for story in STORIES:
        customer, line = picker.pick(story.region, story.line)
        opened = _opened(story, now, customer.region.timezone)
        with acting_as(AGENTS[story.region]):
            ticket = tickets.create(
                customer.id, None, category=story.category, priority=story.priority,
                subject=story.subject, description=story.description,
                service=line.id if line else None, now=opened,
            )  # fmt: skip
        _play(ticket, story, opened, now, articles)
    with acting_as():  # as the scheduler's job: the late running tickets are escalated
        sla.check_breaches(now)
    return len(STORIES)


# --------------------------------------------------------------------------- planned works

PAST_WORK = (
    "Обновление ПО оптических узлов",
    "Обновили ПО на двух узлах OLT, связь восстановлена по графику.",
)
NIGHT_TICKET = Story(
    "RU-MOW", "network_fault", "normal", "fixed", 0.0,
    "Ночью пропал интернет",
    "Клиент работает по ночам: около трёх часов интернет пропал без предупреждения.",
    (_s(6, "assign", "network", None),
     _s(6.5, "link", "no-internet"),
     _s(7, "move", "resolved", "Перерыв был вызван плановыми работами на сети, о которых мы "
        "предупреждали по электронной почте. Связь восстановлена в 05:00.", True),
     _s(30, "move", "closed", "", False)),
)  # fmt: skip
COMING_WORK = "Manutenzione programmata della rete in fibra"


def seed_planned_works(picker: Picker, now: datetime, articles: dict) -> int:
    """A planned work done last week on some Moscow lines — with the fault ticket opened
    during it, which its page lists — and one to come on an Italian city, whose customers
    are told by email (queued); how many planned works."""
    planned = select(exists().where(WorkOrder.kind == WorkOrderKind.PLANNED))
    if db.session.scalar(planned):
        return 0
    moscow = picker.sample["RU-MOW"]
    customer, line = picker.pick("RU-MOW", "fixed")
    others = [tickets.customer_lines(c)[0].service_id for c in moscow[:2] if c is not customer]
    region = customer.region
    first_day = now.astimezone(ZoneInfo(region.timezone)).date() - timedelta(days=7)
    told = now - timedelta(days=10)
    title, notes = PAST_WORK
    with acting_as("supervisor"):
        work = work_orders.create_planned(region.id, None, title=title,
                                          lines=[line.service_id, *others], now=told)  # fmt: skip
        work_orders.schedule(work, first_day.isoformat(), "01:00", "05:00", now=told)
    with acting_as(TECH):
        work_orders.start(work, now=work.window_start)
        work_orders.finish(work, "fixed", 240, notes, now=work.window_end)
    opened = work.window_start + timedelta(hours=2)
    with acting_as(AGENTS["RU-MOW"]):
        ticket = tickets.create(
            customer.id, None, category=NIGHT_TICKET.category,
            priority=NIGHT_TICKET.priority, subject=NIGHT_TICKET.subject,
            description=NIGHT_TICKET.description, service=line.id, now=opened,
        )  # fmt: skip
    _play(ticket, NIGHT_TICKET, opened, now, articles)

    rome = picker.sample["IT-C"][0]
    day = now.astimezone(ZoneInfo(rome.region.timezone)).date() + timedelta(days=3)
    with acting_as("supervisor"):
        coming = work_orders.create_planned(rome.region_id, None, title=COMING_WORK,
                                            city=rome.city, now=now)  # fmt: skip
        work_orders.schedule(coming, day.isoformat(), "23:00", "05:00",
                             last_day=(day + timedelta(days=1)).isoformat(), now=now)  # fmt: skip
    return 2


# --------------------------------------------------------------------------- disputes

# language → (what the customer says, the decision's reason)
HELD = {
    "it": "Il cliente dichiara di non aver mai usato il servizio fatturato e contesta "
          "l'intero importo.",
    "ko": "고객이 청구된 서비스를 사용한 적이 없다며 전액 이의를 신청함.",
    "ru": "Клиент утверждает, что не пользовался выставленной услугой, и оспаривает всю "
          "сумму.",
}  # fmt: skip
PARTIAL = {
    "it": ("Canone addebitato per intero anche se la linea è stata sospesa per metà mese.",
           "Accreditiamo metà del canone per i giorni di sospensione; il resto è dovuto."),
    "ko": ("월 중 절반 동안 회선이 정지되었는데 기본료가 전액 청구됨.",
           "정지 기간에 해당하는 기본료 절반을 감면하며, 나머지는 정상 청구입니다."),
    "ru": ("Абонентская плата начислена полностью, хотя линия была приостановлена полмесяца.",
           "Компенсируем половину абонентской платы за дни приостановки; остальное к оплате."),
}  # fmt: skip
REJECTED = {
    "it": ("Il cliente ritiene eccessivo l'importo della bolletta.",
           "Gli importi corrispondono al canone e al traffico registrato sulla linea: la "
           "bolletta è dovuta."),
    "ko": ("고객이 청구 금액이 너무 많다고 주장함.",
           "회선의 요금제와 사용 기록대로 청구되어 감면할 수 없습니다."),
    "ru": ("Клиент считает сумму счёта завышенной.",
           "Начисления соответствуют тарифу и зарегистрированному трафику по линии, счёт "
           "к оплате."),
}  # fmt: skip
# each kind of dispute in its own region when the demo has an open invoice there
KINDS = (("held", "it"), ("partial", "ru"), ("rejected", "ko"))


def _open_invoices() -> list[Invoice]:
    """The demo's invoices still asking for money: unpaid ones first (the overdue before
    the others), then those paid in part."""
    found = db.session.scalars(
        select(Invoice)
        .join(BillingAccount, Invoice.account_id == BillingAccount.id)
        .where(BillingAccount.ref.like("DEMO-%"), Invoice.status.in_(invoice_status.OPEN))
        .order_by(Invoice.id)
    ).all()
    found = [i for i in found if i.balance_due > 0]
    return sorted(found, key=lambda i: (i.paid > 0, i.status != InvoiceStatus.OVERDUE))


def seed_disputes() -> int:
    """A dispute still open (dunning holds its amount), one accepted in part by a credit
    note, one rejected with its reason — each on its own open invoice, opened by the
    region's customer care and decided by billing; how many (fewer when the demo has
    fewer open invoices)."""
    if db.session.scalar(select(exists().where(Dispute.id.is_not(None)))):
        return 0
    candidates = _open_invoices()
    made = 0
    for kind, language in KINDS:
        invoice = next((i for i in candidates if i.language == language), None)
        invoice = invoice or next(iter(candidates), None)
        if invoice is None:
            break
        candidates.remove(invoice)
        language = invoice.language
        opener = next(agent for code, agent in AGENTS.items() if LANGUAGES[code] == language)
        with acting_as(opener):
            if kind == "held":
                disputes.open_dispute(invoice, invoice.balance_due, HELD[language])
            elif kind == "partial":
                dispute = _dispute_a_line(invoice, PARTIAL[language][0])
            else:
                share = round_money(invoice.balance_due * Decimal("0.4"), invoice.currency)
                dispute = disputes.open_dispute(invoice, share, REJECTED[language][0])
        with acting_as("billing"):
            if kind == "partial":
                half = round_money(dispute.amount / 2, dispute.currency)
                disputes.resolve(dispute, "partial", half, PARTIAL[language][1])
            elif kind == "rejected":
                disputes.resolve(dispute, "rejected", reason=REJECTED[language][1])
        made += 1
    return made


def _dispute_a_line(invoice: Invoice, reason: str) -> Dispute:
    """A dispute of the invoice's first line with something on it, within what is open."""
    left = invoices.left_to_credit(invoice)
    line_id, net = next((key, value) for key, value in left.items() if value > 0)
    # with its VAT, well within what is open (a bill paid in part has less)
    if net * (100 + invoice.vat_rate) / 100 > invoice.balance_due * Decimal("0.9"):
        net = invoice.balance_due * 100 / (100 + invoice.vat_rate) / 2
    net = round_money(net, invoice.currency)
    return disputes.open_dispute(invoice, None, reason, lines={line_id: net})


# --------------------------------------------------------------------------- all of it


def _sample() -> dict[str, list[Customer]]:
    """SAMPLE demo customers a region, spread over its numbers."""
    found = {}
    for code in AGENTS:
        refs = db.session.scalars(
            select(Customer.ref)
            .join(Region, Customer.region_id == Region.id)
            .where(Region.code == code, Customer.ref.like("DEMO-%"))
            .order_by(Customer.ref)
        ).all()
        chosen = refs[:: max(1, len(refs) // SAMPLE)][:SAMPLE]
        by_ref = {c.ref: c for c in db.session.scalars(
            select(Customer).where(Customer.ref.in_(chosen))
        )}  # fmt: skip
        found[code] = [by_ref[ref] for ref in chosen]
    return found


def seed_care(now: datetime) -> dict[str, int]:
    """The demo's customer care as of `now`; what was added (nothing when run again)."""
    articles = demo_knowledge.seed_articles(now)
    sample = _sample()
    picker = Picker(sample)  # one customer, one story
    return {
        "interactions": seed_interactions(sample, now),
        "tickets": seed_tickets(picker, now, articles),
        "planned_works": seed_planned_works(picker, now, articles),
        "disputes": seed_disputes(),
    }


def care_now(today: date) -> datetime:
    """The moment the demo's care happens by: now, or the end of `today` when the demo
    is dated earlier."""
    end_of_day = datetime.combine(today + timedelta(days=1), time(), UTC) - timedelta(minutes=1)
    return min(utcnow(), end_of_day)
