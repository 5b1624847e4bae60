def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "reachable"}


def test_admin_can_see_customers(login):
    page = login("admin").get("/customerview/list/")
    assert page.status_code == 200


def test_health_answers_503_when_the_database_does_not(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.extensions import db

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", unreachable)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "OperationalError"}
