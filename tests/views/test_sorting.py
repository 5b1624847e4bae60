"""Every list, sorted by each of its sortable columns, for users scoped to their regions."""

import pytest
from flask_appbuilder import ModelView

from app.extensions import appbuilder
from app.services.dataio import registry
from app.services.platform.actor import acting_as
from tests.conftest import SAMPLES


def _list_views():
    return [view for view in appbuilder.baseviews if isinstance(view, ModelView)]


@pytest.mark.parametrize("username", ["csr", "technician", "billing_ko"])
def test_every_list_sorts_by_every_column_for_a_scoped_user(app, login, username):
    with app.app_context(), acting_as():
        for kind in ("rates", "products", "customers", "cdrs"):
            assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
    user = login(username)
    sorted_lists = 0
    for view in _list_views():
        name = type(view).__name__
        if user.get(f"{view.route_base}/list/").status_code != 200:
            continue  # not one of the user's screens
        for column in view.order_columns:
            url = f"{view.route_base}/list/?_oc_{name}={column}&_od_{name}=desc"
            response = user.get(url)
            assert response.status_code == 200, url
            sorted_lists += 1
    assert sorted_lists > 50


def test_orders_and_provisioning_sort_by_their_related_columns(app, login):
    user = login("csr")
    for view, column in (
        ("OrderView", "account.ref"),
        ("ProvisioningTaskView", "service.service_id"),
    ):
        url = f"/{view.lower()}/list/?_oc_{view}={column}&_od_{view}=asc"
        assert user.get(url).status_code == 200, url


def test_a_sort_the_list_does_not_offer_falls_back_to_the_lists_own_order(login):
    user = login("supervisor")
    for view, column in (
        ("CustomerView", "no_such_column"),
        ("CustomerView", "region.no_such_column"),
        ("CreditClassView", "payment_modes"),  # JSON: PostgreSQL cannot order it
        ("AuditLogView", "changes"),
    ):
        url = f"/{view.lower()}/list/?_oc_{view}={column}&_od_{view}=asc"
        assert user.get(url).status_code == 200, url
    views = {type(view).__name__: view for view in _list_views()}
    assert "payment_modes" not in views["CreditClassView"].order_columns
