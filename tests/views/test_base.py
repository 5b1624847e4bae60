"""What every admin screen shares: paging arguments within bounds."""

import pytest


@pytest.mark.parametrize(
    "query",
    [
        "psize_CustomerView=-1",  # FAB's "the whole table"
        "psize_CustomerView=100000",
        "psize_CustomerView=abc",
        "page_CustomerView=abc",
        "page_CustomerView=-5",
        "page_CustomerView=99999999999999999999",
        "page_CustomerView=²",
        "page_CustomerView=--5",
        "page_CustomerView=" + "9" * 5000,
    ],
)
def test_a_list_refuses_a_page_or_page_size_out_of_bounds(login, query):
    response = login("csr").get(f"/customerview/list/?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert f"{name}: a whole number from" in response.get_data(as_text=True)


def test_a_page_within_bounds_is_served(login):
    csr = login("csr")
    page = csr.get("/customerview/list/?psize_CustomerView=100&page_CustomerView=3")
    assert page.status_code == 200
    # FAB's own screens are guarded too
    users = login("supervisor").get("/users/list/?psize_AbonentUserDBModelView=-1")
    assert users.status_code == 400
