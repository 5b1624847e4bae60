"""The fixtures every test stands on: what one test changes in the tables kept between tests
(regions, users, roles, credit and adjustment rules) is put back before the next, so no
test depends on which ran before it."""

from decimal import Decimal

import pytest
from flask_appbuilder import Model
from sqlalchemy import delete, insert, select, update

from app.extensions import db
from app.models.crm import Region
from app.services.platform.actor import acting_as
from app.services.platform.users import ensure_user
from tests.conftest import PASSWORD, reset_data

WATCHED = (
    "region",
    "user_region",
    "credit_class",
    "credit_terms",
    "credit_rule",
    "adjustment_limit",
    "ab_user",
    "ab_user_role",
    "ab_role",
    "ab_permission_view_role",
)


def _kept_rows() -> dict[str, list[tuple]]:
    with db.engine.connect() as conn:
        return {
            name: sorted(map(tuple, conn.execute(select(Model.metadata.tables[name]))))
            for name in WATCHED
        }


def test_what_a_test_changes_in_the_kept_tables_is_put_back(app, login):
    tables = Model.metadata.tables
    with app.app_context():
        before = _kept_rows()
    login("csr")  # a sign-in counts in the user's row
    with app.app_context(), acting_as():
        ensure_user("temp", ["CSR"], PASSWORD, first_name="T", last_name="T",
                    email="temp@test.example", regions=[])  # fmt: skip
        region = tables["region"]
        with db.engine.begin() as conn:
            conn.execute(
                update(region).where(region.c.code == "IT-C").values(vat_rate=Decimal("25"))
            )
            italy = conn.execute(select(region).where(region.c.code == "IT-C")).mappings().one()
            copy = {column: value for column, value in italy.items() if column != "id"}
            conn.execute(insert(region).values({**copy, "code": "XX-1"}))
            conn.execute(delete(tables["credit_rule"]))
            conn.execute(update(tables["credit_terms"]).values(deposit=Decimal("1")))
            conn.execute(update(tables["adjustment_limit"]).values(approval=1, maximum=2))
            conn.execute(delete(tables["user_region"]))
            conn.execute(delete(tables["ab_permission_view_role"]))
    assert reset_data(app) >= {
        "region",
        "credit_rule",
        "credit_terms",
        "adjustment_limit",
        "ab_user",
        "ab_user_role",
        "user_region",
        "ab_permission_view_role",
    }
    with app.app_context():
        assert _kept_rows() == before
    assert reset_data(app) == set()


@pytest.mark.parametrize("vat", ["10", "30"])
def test_no_test_sees_the_vat_another_test_gave_a_region(app, ctx, vat):
    """Whichever of the two runs second starts from the region as the session set it up."""
    seeded = next(r for r in app.extensions["kept_tables"].rows["region"] if r["code"] == "IT-C")
    region = db.session.scalar(select(Region).where(Region.code == "IT-C"))
    assert region.vat_rate == seeded["vat_rate"]
    region.vat_rate = Decimal(vat)
    db.session.commit()
