def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "reachable"}


def test_admin_can_see_customers(login):
    page = login("admin").get("/customerview/list/")
    assert page.status_code == 200
