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


def test_the_first_requests_after_a_database_restart_are_served(app, login):
    import pytest

    from app.extensions import db
    from tests.helpers import cut_connections

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("connections are cut on PostgreSQL")
    csr = login("csr")
    assert csr.get("/customerview/list/").status_code == 200
    cut_connections(app)
    assert csr.get("/health").status_code == 200
    assert csr.get("/customerview/list/").status_code == 200
