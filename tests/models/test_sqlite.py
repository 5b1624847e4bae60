"""Case-insensitive search gives the same rows on both engines, and uses SQLite's index."""

import pytest

from app.extensions import db
from app.models.crm import Customer


@pytest.fixture
def people(ctx):
    for ref, name in (("ab-1", "Anna Neri"), ("AB-2", "ANNALISA Verdi"), ("cd-3", "Bruno Anna")):
        db.session.add(Customer(ref=ref, kind="individual", name=name, region_id=1, language="it"))
    db.session.commit()


def _refs(condition):
    return sorted(db.session.scalars(db.select(Customer.ref).where(condition)))


def test_ilike_ignores_ascii_case(people):
    assert _refs(Customer.ref.ilike("AB-%")) == ["AB-2", "ab-1"]
    assert _refs(Customer.name.ilike("%anna%")) == ["AB-2", "ab-1", "cd-3"]
    assert _refs(Customer.name.not_ilike("anna%")) == ["cd-3"]


def test_prefix_search_uses_the_nocase_index_on_sqlite(people):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    query = db.select(Customer.id).where(Customer.ref.ilike("AB-%"))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = db.session.execute(db.text(f"EXPLAIN QUERY PLAN {sql}")).all()
    assert "ix_customer_ref_nocase" in " ".join(str(row) for row in plan)
