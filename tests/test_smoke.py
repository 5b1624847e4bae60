def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "writable"}


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
    assert response.get_json() == {"status": "error", "database": "unreachable: OperationalError"}


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


def test_health_answers_503_when_the_database_refuses_writes(app, client):
    """The database file opened read-only, as SQLite does when the process may not write
    it; on PostgreSQL, read-only transactions (a standby)."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    path = engine.url.database

    def read_only(_dialect, _record, cargs, cparams):
        if engine.dialect.name == "sqlite":
            cargs[:] = [f"file:{path}?mode=ro"]
            cparams["uri"] = True
        else:
            cparams["options"] = "-c default_transaction_read_only=on"

    engine.dispose()
    event.listen(engine, "do_connect", read_only)
    try:
        response = client.get("/health")
        assert response.status_code == 503
        assert response.get_json()["database"].startswith("read-only: ")
    finally:
        event.remove(engine, "do_connect", read_only)
        engine.dispose()
    assert client.get("/health").status_code == 200
