"""Demo rates: every demo rate plan priced the way an operator of its country would price it,
imported through the rates import's own rules (docs/formats.md `rates`).

Mobile plans draw national calls, texts and data on the product's allowances (`bundle`
yes) and charge calls and texts abroad; a fixed line has no allowances and pays every call,
its internet access being flat (data at 0). Italian plans are cheaper off-peak and charge a
connection fee; an Italian call at peak time is billed for its first 30 seconds at least;
Korean calls go in steps of 10 seconds; a Moscow home line calls Moscow for free. The
longest prefix wins: a Russian line pays Kazakhstan's rate on 77, Russia's on the rest of 7.

Idempotent: only plans without any rate are imported, so rates edited since are kept.
"""

import tempfile
from pathlib import Path

from sqlalchemy import exists

from app.extensions import db
from app.models.catalog import RatePlan
from app.models.usage import Rate
from app.services.catalog import rate_import
from app.services.catalog.rates import RATE_COLUMNS

# plan,currency,usage_type,prefix,destination,band,from,price,per,increment,connect_fee,bundle
RATES = """
BASIC,EUR,voice,39,Italia fissi,peak,0,0.19,60,30,0.15,yes
BASIC,EUR,voice,39,Italia fissi,peak,30,0.19,60,1,0,yes
BASIC,EUR,voice,39,Italia fissi,offpeak,0,0.09,60,1,0.15,yes
BASIC,EUR,voice,393,Italia mobili,peak,0,0.22,60,30,0.15,yes
BASIC,EUR,voice,393,Italia mobili,peak,30,0.22,60,1,0,yes
BASIC,EUR,voice,393,Italia mobili,offpeak,0,0.12,60,1,0.15,yes
BASIC,EUR,voice,33,Francia,any,0,0.49,60,60,0.20,no
BASIC,EUR,voice,44,Regno Unito,any,0,0.49,60,60,0.20,no
BASIC,EUR,voice,49,Germania,any,0,0.49,60,60,0.20,no
BASIC,EUR,voice,1,Stati Uniti e Canada,any,0,0.39,60,60,0.20,no
BASIC,EUR,voice,7,Russia,any,0,0.99,60,60,0.20,no
BASIC,EUR,voice,82,Corea del Sud,any,0,0.99,60,60,0.20,no
BASIC,EUR,voice,*,Resto del mondo,any,0,1.99,60,60,0.20,no
BASIC,EUR,sms,39,SMS Italia,any,0,0.12,1,1,0,yes
BASIC,EUR,sms,*,SMS estero,any,0,0.29,1,1,0,no
BASIC,EUR,data,*,Internet,any,0,0.01,1048576,1024,0,yes
AZIENDE,EUR,voice,39,Italia fissi,any,0,0.10,60,1,0,yes
AZIENDE,EUR,voice,393,Italia mobili,any,0,0.10,60,1,0,yes
AZIENDE,EUR,voice,33,Francia,any,0,0.29,60,1,0,no
AZIENDE,EUR,voice,44,Regno Unito,any,0,0.29,60,1,0,no
AZIENDE,EUR,voice,49,Germania,any,0,0.29,60,1,0,no
AZIENDE,EUR,voice,1,Stati Uniti e Canada,any,0,0.25,60,1,0,no
AZIENDE,EUR,voice,7,Russia,any,0,0.59,60,1,0,no
AZIENDE,EUR,voice,82,Corea del Sud,any,0,0.59,60,1,0,no
AZIENDE,EUR,voice,*,Resto del mondo,any,0,1.49,60,1,0,no
AZIENDE,EUR,sms,39,SMS Italia,any,0,0.08,1,1,0,yes
AZIENDE,EUR,sms,*,SMS estero,any,0,0.19,1,1,0,no
AZIENDE,EUR,data,*,Internet,any,0,0.005,1048576,1024,0,yes
FISSO,EUR,voice,39,Italia fissi,peak,0,0.06,60,60,0.10,no
FISSO,EUR,voice,39,Italia fissi,offpeak,0,0.03,60,60,0.10,no
FISSO,EUR,voice,393,Italia mobili,any,0,0.15,60,1,0.10,no
FISSO,EUR,voice,33,Francia,any,0,0.20,60,60,0,no
FISSO,EUR,voice,44,Regno Unito,any,0,0.20,60,60,0,no
FISSO,EUR,voice,49,Germania,any,0,0.20,60,60,0,no
FISSO,EUR,voice,1,Stati Uniti e Canada,any,0,0.15,60,60,0,no
FISSO,EUR,voice,7,Russia,any,0,0.50,60,60,0,no
FISSO,EUR,voice,82,Corea del Sud,any,0,0.50,60,60,0,no
FISSO,EUR,voice,*,Resto del mondo,any,0,1.20,60,60,0,no
FISSO,EUR,data,*,Internet casa,any,0,0,1048576,1048576,0,no
KR-5G,KRW,voice,82,국내 유선,any,0,18,10,10,0,yes
KR-5G,KRW,voice,8210,국내 이동전화,any,0,18,10,10,0,yes
KR-5G,KRW,voice,1,미국·캐나다,any,0,350,60,1,0,no
KR-5G,KRW,voice,81,일본,any,0,450,60,1,0,no
KR-5G,KRW,voice,86,중국,any,0,450,60,1,0,no
KR-5G,KRW,voice,39,이탈리아,any,0,800,60,1,0,no
KR-5G,KRW,voice,7,러시아,any,0,900,60,1,0,no
KR-5G,KRW,voice,*,기타 국가,any,0,1500,60,1,0,no
KR-5G,KRW,sms,82,국내 문자,any,0,22,1,1,0,yes
KR-5G,KRW,sms,*,국제 문자,any,0,150,1,1,0,no
KR-5G,KRW,data,*,데이터,any,0,11,1048576,1024,0,yes
KR-BIZ,KRW,voice,82,국내 유선,any,0,15,10,10,0,yes
KR-BIZ,KRW,voice,8210,국내 이동전화,any,0,15,10,10,0,yes
KR-BIZ,KRW,voice,1,미국·캐나다,any,0,250,60,1,0,no
KR-BIZ,KRW,voice,81,일본,any,0,300,60,1,0,no
KR-BIZ,KRW,voice,86,중국,any,0,300,60,1,0,no
KR-BIZ,KRW,voice,39,이탈리아,any,0,600,60,1,0,no
KR-BIZ,KRW,voice,7,러시아,any,0,700,60,1,0,no
KR-BIZ,KRW,voice,*,기타 국가,any,0,1200,60,1,0,no
KR-BIZ,KRW,sms,82,국내 문자,any,0,20,1,1,0,yes
KR-BIZ,KRW,sms,*,국제 문자,any,0,120,1,1,0,no
KR-BIZ,KRW,data,*,데이터,any,0,8,1048576,1024,0,yes
KR-HOME,KRW,voice,822,서울 시내,any,0,39,180,180,0,no
KR-HOME,KRW,voice,82,시외,peak,0,14.5,10,10,0,no
KR-HOME,KRW,voice,82,시외,offpeak,0,11,10,10,0,no
KR-HOME,KRW,voice,8210,이동전화,any,0,14.5,10,10,0,no
KR-HOME,KRW,voice,1,미국·캐나다,any,0,250,60,1,0,no
KR-HOME,KRW,voice,81,일본,any,0,300,60,1,0,no
KR-HOME,KRW,voice,86,중국,any,0,300,60,1,0,no
KR-HOME,KRW,voice,39,이탈리아,any,0,600,60,1,0,no
KR-HOME,KRW,voice,7,러시아,any,0,700,60,1,0,no
KR-HOME,KRW,voice,*,기타 국가,any,0,1200,60,1,0,no
KR-HOME,KRW,data,*,인터넷,any,0,0,1048576,1048576,0,no
RU-MOB,RUB,voice,7,Россия,any,0,3.00,60,60,0,yes
RU-MOB,RUB,voice,7495,Москва,any,0,1.90,60,60,0,yes
RU-MOB,RUB,voice,7499,Москва,any,0,1.90,60,60,0,yes
RU-MOB,RUB,voice,79,Мобильные России,any,0,1.90,60,60,0,yes
RU-MOB,RUB,voice,77,Казахстан,any,0,15,60,60,0,no
RU-MOB,RUB,voice,39,Италия,any,0,35,60,60,0,no
RU-MOB,RUB,voice,49,Германия,any,0,35,60,60,0,no
RU-MOB,RUB,voice,82,Южная Корея,any,0,45,60,60,0,no
RU-MOB,RUB,voice,1,США и Канада,any,0,25,60,60,0,no
RU-MOB,RUB,voice,*,Другие страны,any,0,75,60,60,0,no
RU-MOB,RUB,sms,7,SMS по России,any,0,2.50,1,1,0,yes
RU-MOB,RUB,sms,*,Международные SMS,any,0,5.50,1,1,0,no
RU-MOB,RUB,data,*,Мобильный интернет,any,0,0.20,1048576,102400,0,yes
RU-BIZ,RUB,voice,7,Россия,any,0,1.50,60,60,0,yes
RU-BIZ,RUB,voice,7495,Москва,any,0,1.00,60,60,0,yes
RU-BIZ,RUB,voice,7499,Москва,any,0,1.00,60,60,0,yes
RU-BIZ,RUB,voice,79,Мобильные России,any,0,1.00,60,60,0,yes
RU-BIZ,RUB,voice,77,Казахстан,any,0,12,60,60,0,no
RU-BIZ,RUB,voice,39,Италия,any,0,25,60,60,0,no
RU-BIZ,RUB,voice,49,Германия,any,0,25,60,60,0,no
RU-BIZ,RUB,voice,82,Южная Корея,any,0,35,60,60,0,no
RU-BIZ,RUB,voice,1,США и Канада,any,0,20,60,60,0,no
RU-BIZ,RUB,voice,*,Другие страны,any,0,60,60,60,0,no
RU-BIZ,RUB,sms,7,SMS по России,any,0,1.90,1,1,0,yes
RU-BIZ,RUB,sms,*,Международные SMS,any,0,4.90,1,1,0,no
RU-BIZ,RUB,data,*,Мобильный интернет,any,0,0.10,1048576,102400,0,yes
RU-HOME,RUB,voice,7,Междугородные,peak,0,3.50,60,60,0,no
RU-HOME,RUB,voice,7,Междугородные,offpeak,0,2.00,60,60,0,no
RU-HOME,RUB,voice,7495,Москва,any,0,0,60,60,0,no
RU-HOME,RUB,voice,7499,Москва,any,0,0,60,60,0,no
RU-HOME,RUB,voice,79,Мобильные России,any,0,1.90,60,60,0,no
RU-HOME,RUB,voice,77,Казахстан,any,0,12,60,60,0,no
RU-HOME,RUB,voice,39,Италия,any,0,25,60,60,0,no
RU-HOME,RUB,voice,49,Германия,any,0,25,60,60,0,no
RU-HOME,RUB,voice,82,Южная Корея,any,0,35,60,60,0,no
RU-HOME,RUB,voice,1,США и Канада,any,0,20,60,60,0,no
RU-HOME,RUB,voice,*,Другие страны,any,0,60,60,60,0,no
RU-HOME,RUB,data,*,Домашний интернет,any,0,0,1048576,1048576,0,no
"""


def _plans_without_rates() -> set[str]:
    has_rates = exists().where(Rate.plan_id == RatePlan.id)
    return set(db.session.scalars(db.select(RatePlan.code).where(~has_rates)))


def seed_rates() -> int:
    """Import the demo rates of the plans that have none yet; returns how many rows."""
    wanted = _plans_without_rates()
    rows = [row for row in RATES.strip().splitlines() if row.split(",", 1)[0] in wanted]
    if not rows:
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-rates.csv"
        path.write_text("\n".join([",".join(RATE_COLUMNS), *rows]) + "\n", encoding="utf-8")
        summary = rate_import.import_rates(path)
    if summary.rejected:
        raise RuntimeError(f"demo rates refused: {summary.line()}")
    return summary.accepted
