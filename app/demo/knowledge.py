"""Demo knowledge base: articles in the four languages, written through the knowledge
service as staff would write them — the public ones a customer reads in the portal (how
to read a bill, what to check when the internet is down, …), the internal ones for staff
(how to handle a bill dispute, a change of holder). Translations share their slug.

Idempotent: an article whose slug and language are stored is left as it is."""

from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.knowledge import Article
from app.services.care import knowledge
from app.services.platform.actor import acting_as

# who writes in each language: the region's customer care, English by the supervisor
AUTHORS = {"en": "supervisor", "it": "csr", "ko": "csr_ko", "ru": "csr_ru"}

# slug, category, public, {language: (title, Markdown body)}
ARTICLES = (
    (
        "read-your-bill",
        "billing",
        True,
        {
            "en": (
                "How to read your bill",
                """\
## What a bill shows

Every bill covers one billing period and lists, line by line:

- the **monthly fee** of each line, prorated when the line started or changed mid-period;
- **usage** beyond the allowance: calls, SMS and data, itemised on the last pages;
- **adjustments** and credits, such as an SLA credit after an outage.

## Paying

The due date is on the first page. Pay by bank transfer with the bill's number as the
reference, by card in the portal, or at any shop. A payment made in the last two days may
not be shown yet.

## Something looks wrong?

Call us or write from the portal *before the due date*: we open a dispute and the amount
in question is not chased while we look into it.""",
            ),
            "it": (
                "Come leggere la bolletta",
                """\
## Cosa trovi in bolletta

Ogni bolletta copre un periodo di fatturazione e riporta, linea per linea:

- il **canone mensile** di ogni linea, in proporzione se la linea è stata attivata o
  modificata a metà periodo;
- il **traffico** oltre la soglia inclusa (chiamate, SMS e dati), dettagliato nelle ultime
  pagine;
- eventuali **rettifiche** e accrediti, ad esempio un indennizzo dopo un guasto.

## Come pagare

La scadenza è indicata nella prima pagina. Puoi pagare con bonifico indicando il numero
della bolletta come causale, con carta dal portale o in negozio.

## Qualcosa non torna?

Chiamaci o scrivici dal portale *prima della scadenza*: apriamo una contestazione e
l'importo contestato non viene sollecitato finché la verifichiamo.""",
            ),
            "ko": (
                "요금 청구서 읽는 법",
                """\
## 청구서에 나오는 내용

청구서는 한 청구 기간의 요금을 회선별로 보여 줍니다.

- 회선별 **월 기본료** (기간 중에 개통하거나 요금제를 바꾼 경우 일할 계산);
- 기본 제공량을 넘은 **사용 요금**: 통화, 문자, 데이터 (마지막 페이지에 상세 내역);
- **조정 금액**과 감면: 예를 들어 장애 후 SLA 보상.

## 납부 방법

납부 기한은 첫 페이지에 있습니다. 가상계좌 이체, 포털에서 카드 결제, 또는 대리점에서
납부할 수 있습니다.

## 요금이 이상하다면

*납부 기한 전에* 고객센터나 포털로 알려 주세요. 이의 신청을 접수하면 확인하는 동안
해당 금액은 독촉하지 않습니다.""",
            ),
            "ru": (
                "Как читать счёт",
                """\
## Что указано в счёте

Каждый счёт охватывает один расчётный период и показывает по каждой линии:

- **абонентскую плату**, пропорционально дням, если линия подключена или тариф изменён
  в середине периода;
- **услуги сверх пакета**: звонки, SMS и мобильный интернет, с детализацией на последних
  страницах;
- **корректировки** и компенсации, например за перерыв в связи.

## Как оплатить

Срок оплаты указан на первой странице. Оплатить можно банковским переводом с номером
счёта в назначении платежа, картой в личном кабинете или в офисе продаж.

## Сумма кажется неверной?

Позвоните нам или напишите через личный кабинет *до срока оплаты*: мы откроем
претензию, и спорная сумма не будет взыскиваться, пока мы её проверяем.""",
            ),
        },
    ),
    (
        "no-internet",
        "network",
        True,
        {
            "en": (
                "No internet: what to check first",
                """\
## Before you call

1. **Restart** the router (or the phone): switch it off, wait 30 seconds, switch it on.
2. Look at the router's lights: a **red or blinking PON/LOS** light means no signal on
   the fibre; tell us when you call.
3. Try with a cable instead of Wi-Fi, and with another device.
4. On a phone, check that **mobile data** is on and, abroad, that **data roaming** is on.

## Planned works

We announce planned works on the network by email a few days before. If the internet is
down during announced works, it comes back when they end.

## Still down?

Call us: we test the line remotely and, if needed, send a technician.""",
            ),
            "it": (
                "Internet non funziona: i primi controlli",
                """\
## Prima di chiamarci

1. **Riavvia** il modem (o il telefono): spegnilo, aspetta 30 secondi e riaccendilo.
2. Controlla le spie del modem: una spia **PON/LOS rossa o lampeggiante** indica
   l'assenza di segnale sulla fibra; comunicacelo quando chiami.
3. Prova con il cavo invece del Wi-Fi e con un altro dispositivo.
4. Sul telefono, verifica che i **dati mobili** siano attivi e, all'estero, il
   **roaming dati**.

## Lavori programmati

Avvisiamo via email qualche giorno prima dei lavori programmati sulla rete: durante i
lavori annunciati il servizio può interrompersi e torna alla loro conclusione.

## Ancora niente?

Chiamaci: verifichiamo la linea da remoto e, se serve, inviamo un tecnico.""",
            ),
            "ko": (
                "인터넷이 안 될 때 먼저 확인할 것",
                """\
## 고객센터에 연락하기 전에

1. 공유기(또는 휴대폰)를 **재부팅**하세요: 전원을 끄고 30초 후 다시 켭니다.
2. 공유기 표시등을 확인하세요: **PON/LOS 표시등이 빨간색이거나 깜박이면** 광케이블
   신호가 없는 것입니다. 전화하실 때 알려 주세요.
3. 와이파이 대신 랜선으로, 다른 기기로도 연결해 보세요.
4. 휴대폰은 **모바일 데이터**가 켜져 있는지, 해외에서는 **데이터 로밍**이 켜져 있는지
   확인하세요.

## 예정된 작업

네트워크 정기 점검은 며칠 전에 이메일로 안내합니다. 안내된 작업 시간에는 인터넷이
끊길 수 있으며 작업이 끝나면 복구됩니다.

## 그래도 안 되면

고객센터로 전화 주세요. 원격으로 회선을 점검하고 필요하면 기사가 방문합니다.""",
            ),
            "ru": (
                "Нет интернета: что проверить в первую очередь",
                """\
## Прежде чем звонить

1. **Перезагрузите** роутер (или телефон): выключите, подождите 30 секунд, включите.
2. Посмотрите на индикаторы роутера: **красный или мигающий PON/LOS** означает, что
   нет сигнала по оптике; сообщите об этом при звонке.
3. Подключитесь кабелем вместо Wi-Fi и попробуйте другое устройство.
4. На телефоне проверьте, что включена **мобильная передача данных**, а за границей —
   **роуминг данных**.

## Плановые работы

О плановых работах на сети мы предупреждаем по электронной почте за несколько дней.
Во время объявленных работ интернет может пропадать и восстанавливается по их окончании.

## Всё ещё не работает?

Позвоните нам: мы проверим линию удалённо и при необходимости направим мастера.""",
            ),
        },
    ),
    (
        "apn-settings",
        "devices",
        True,
        {
            "ko": (
                "휴대폰 APN 설정 방법",
                """\
## 언제 필요한가요

다른 통신사에서 쓰던 휴대폰이나 해외에서 산 휴대폰에서 **데이터가 안 되거나 MMS가
안 갈 때** APN을 직접 설정합니다.

## 설정 값

| 항목 | 값 |
|---|---|
| 이름 | Abonent |
| APN | internet.abonent.kr |
| MMSC | http://mms.abonent.kr |

## 안드로이드

1. **설정 → 연결 → 모바일 네트워크 → 액세스 포인트 이름**
2. **추가**를 누르고 위 값을 입력한 뒤 저장합니다.
3. 새 APN을 선택하고 휴대폰을 재부팅합니다.

## 아이폰

아이폰은 유심을 넣으면 자동으로 설정됩니다. 안 되면 **설정 → 일반 → 전송 또는
재설정 → 재설정 → 네트워크 설정 재설정**을 해 보세요.""",
            ),
        },
    ),
    (
        "roaming",
        "services",
        True,
        {
            "ru": (
                "Роуминг: как подключить и сколько стоит",
                """\
## Перед поездкой

- Роуминг подключён на всех тарифах по умолчанию; проверить можно в личном кабинете.
- **Роуминг данных** на телефоне включается отдельно: *Настройки → Сотовая связь →
  Роуминг данных*.

## Сколько стоит

Звонки, SMS и интернет за границей тарифицируются по ценам страны пребывания;
входящие звонки тоже платные. Цены указаны в личном кабинете в разделе «Тарифы».

## Советы

1. Отключите автоматическое обновление приложений вне Wi-Fi.
2. Установите лимит трафика в настройках телефона.
3. Если связь пропала, выберите оператора вручную в настройках сети.""",
            ),
        },
    ),
    (
        "handling-a-dispute",
        "procedures",
        False,
        {
            "it": (
                "Gestire una contestazione della bolletta",
                """\
## Quando aprirla

Il cliente contesta un importo di una bolletta **ancora da pagare** (emessa, pagata in
parte o scaduta). Per una bolletta già saldata si valuta invece una nota di credito.

## Come

1. Apri la bolletta e scegli **Apri una contestazione**.
2. Indica l'importo (IVA inclusa) o le singole righe contestate, con il motivo detto dal
   cliente.
3. Annota il contatto nel registro delle interazioni.

## Cosa succede dopo

- L'importo contestato è **escluso dai solleciti** finché la contestazione è aperta.
- La decisione spetta al reparto *Billing* (mai a chi l'ha aperta): accolta, accolta in
  parte con nota di credito, o respinta con motivazione.
- Il cliente riceve la decisione via email nella sua lingua.""",
            ),
        },
    ),
    (
        "change-of-holder",
        "account",
        False,
        {
            "en": (
                "Transferring an account to a new holder",
                """\
## Who may ask

The current holder, in writing, together with the new holder. A company needs the
signature of its legal representative.

## What to collect

- the new holder's identity document (checked against the national register);
- a signed transfer form from **both** parties;
- the new holder's payment details when the account is paid by direct debit.

## Steps

1. Check that the account has **no open dunning case**: debts stay with the old holder
   and must be settled first.
2. Record the request as an interaction on the customer, with the scanned form attached.
3. Open a *service request* ticket for the back office, normal priority.
4. Tell the customer that lines and numbers stay as they are; the next bill goes to the
   new holder.""",
            ),
        },
    ),
)


def seed_articles(now: datetime) -> dict[str, dict[str, Article]]:
    """Write the demo articles not yet stored, each a little older than the next; returns
    every demo article by slug and language (those stored before included)."""
    stored = {
        (a.slug, a.language): a
        for a in db.session.scalars(
            select(Article).where(Article.slug.in_([slug for slug, *_ in ARTICLES]))
        )
    }
    count = sum(len(texts) for *_, texts in ARTICLES)
    written = 0
    for slug, category, public, texts in ARTICLES:
        for language, (title, body) in texts.items():
            written += 1
            if (slug, language) in stored:
                continue
            with acting_as(AUTHORS[language]):
                stored[(slug, language)] = knowledge.create(
                    language=language,
                    category=category,
                    title=title,
                    body=body,
                    public=public,
                    slug=slug,
                    now=now - timedelta(days=2 * (count - written) + 3),
                )
    found: dict[str, dict[str, Article]] = {}
    for (slug, language), article in stored.items():
        found.setdefault(slug, {})[language] = article
    return found
