"""Bulk helpers: an `IN` list written into the statement finds what bound parameters would,
for ids and for text, on both engines."""

from sqlalchemy import select

from app.extensions import db
from app.models.crm import Region
from app.services.platform import bulk


def test_among_writes_ids_and_text_into_the_statement(ctx):
    regions = db.session.execute(select(Region.id, Region.code)).all()
    ids = [region_id for region_id, _code in regions]
    codes = [code for _id, code in regions]
    assert sorted(db.session.scalars(select(Region.id).where(bulk.among(Region.id, ids)))) == (
        sorted(ids)
    )
    # a quote in a value stays a value
    wanted = [codes[0], "x' OR '1'='1"]
    assert db.session.scalars(select(Region.code).where(bulk.among(Region.code, wanted))).all() == [
        codes[0]
    ]
    assert db.session.scalars(select(Region.id).where(bulk.among(Region.id, []))).all() == []
