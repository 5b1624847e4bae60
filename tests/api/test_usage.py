"""REST resource usage: batches of records from network systems, region-scoped reading."""

import json

from app.api.usage import UsageSummary
from app.extensions import db
from app.models.imports import ImportBatch, ImportReject
from app.models.usage import UsageRecord
from app.services.usage import intake
from tests.helpers import import_rows

URL = "/api/v1/usage/"
IT, KR, RU = "393330000001", "821012340001", "79160000001"


def _record(record_id, service_id=RU, **fields):
    return {
        "record_id": record_id,
        "service_id": service_id,
        "usage_type": "voice",
        "started_at": "2026-02-09T10:00:00+03:00",
        "destination": "79161234567",
        "quantity": 60,
        **fields,
    }


def _stored() -> dict[str, UsageRecord]:
    return {r.record_id: r for r in db.session.scalars(db.select(UsageRecord))}


def test_a_batch_is_stored_with_its_rejects(app, api, tmp_path):
    with app.app_context():
        import_rows(tmp_path)
    body = [
        _record("a1"),
        _record("a2", service_id=int(KR), usage_type="sms", quantity="1"),
        _record("a3", service_id="390000000000"),
        _record("a4", quantity=-1),
        _record("a5", started_at="2026-02-09 10:00"),
        "not an object",
        _record("a1", quantity=999),
        _record("a6", quantity=1.5),
        _record("a7", usage_type=["voice"]),
        _record("a8", destination="\ud800"),
    ]
    response = api("supervisor", "POST", URL, json=body)
    assert response.status_code == 200, response.get_json()
    assert UsageSummary().validate(response.get_json()) == {}
    assert response.get_json() == {
        "read": 10,
        "accepted": 2,
        "rejected": 7,
        "duplicates": 1,
        "rejects": [
            {"index": 2, "reason": "service_id: unknown service '390000000000'"},
            {"index": 3, "reason": "quantity: '-1' is not a whole number of 0 or more"},
            {"index": 4, "reason": "started_at: '2026-02-09 10:00' has no UTC offset"},
            {"index": 5, "reason": "an object is expected"},
            {"index": 7, "reason": "quantity: '1.5' is not a whole number of 0 or more"},
            {"index": 8, "reason": "usage_type: text is expected"},
            {"index": 9, "reason": "destination: text is expected"},
        ],
    }
    with app.app_context():
        stored = _stored()
        assert sorted(stored) == ["a1", "a2"]
        assert stored["a1"].quantity == 60
        batch = db.session.scalar(db.select(ImportBatch).where(ImportBatch.kind == "cdrs"))
        assert (batch.filename, batch.username) == ("api", "supervisor")
        assert (batch.read, batch.accepted, batch.rejected, batch.duplicates) == (10, 2, 7, 1)
        rejects = db.session.scalars(
            db.select(ImportReject)
            .where(ImportReject.batch_id == batch.id)
            .order_by(ImportReject.line)
        ).all()
        assert [r.line for r in rejects] == [2, 3, 4, 5, 7, 8, 9]
        assert json.loads(rejects[0].raw)["record_id"] == "a3"


def test_a_line_of_another_region_is_an_unknown_service(app, api, tmp_path):
    """Writes follow the scope of reads: the Moscow technician stores Moscow's usage only,
    and another region's line is refused exactly as a number nobody has."""
    with app.app_context():
        import_rows(tmp_path)
    body = [
        _record("r1", service_id=RU),
        _record("r2", service_id=IT),
        _record("r3", service_id=int(KR)),
        _record("r4", service_id="79990000000"),
    ]
    response = api("technician", "POST", URL, json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["rejects"] == [
        {"index": 1, "reason": f"service_id: unknown service '{IT}'"},
        {"index": 2, "reason": f"service_id: unknown service '{KR}'"},
        {"index": 3, "reason": "service_id: unknown service '79990000000'"},
    ]
    with app.app_context():
        assert sorted(_stored()) == ["r1"]


def test_posting_again_counts_duplicates(app, api, tmp_path):
    with app.app_context():
        import_rows(tmp_path)
    body = {"records": [_record("b1"), _record("b2", service_id=IT)]}
    first = api("supervisor", "POST", URL, json=body).get_json()
    assert (first["accepted"], first["duplicates"]) == (2, 0)
    again = api("supervisor", "POST", URL, json=body).get_json()
    assert (again["read"], again["accepted"], again["duplicates"]) == (2, 0, 2)
    assert again["rejects"] == []


def test_malformed_calls_are_refused(app, api):
    too_many = [_record(f"m{n}") for n in range(intake.MAX_API_RECORDS + 1)]
    response = api("technician", "POST", URL, json=too_many)
    assert response.status_code == 400
    assert response.get_json()["message"] == {
        "records": ["records: at most 10000 records per call"]
    }
    response = api("technician", "POST", URL, json={"record": []})
    assert response.status_code == 400
    assert response.get_json()["message"] == {
        "record": ["record: unknown field"],
        "records": ["records: a list of records is expected"],
    }
    response = api("technician", "POST", URL, data="x", content_type="application/json")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ImportBatch.id))) == 0


def test_only_supervisors_and_technicians_post_usage(app, api, tmp_path):
    with app.app_context():
        import_rows(tmp_path)
    for username in ("csr", "billing"):
        assert api(username, "POST", URL, json=[_record("p1")]).status_code == 403
        assert api(username, "GET", URL).status_code == 200


def test_a_session_cookie_alone_is_refused(login):
    staff = login("admin")
    assert staff.client.post(URL, json=[_record("s1")]).status_code == 401
    assert staff.client.get(URL).status_code == 401


def test_reading_is_limited_to_the_users_regions(app, api, tmp_path):
    with app.app_context():
        import_rows(tmp_path)
    body = [
        _record("it1", service_id=IT, started_at="2026-02-09T10:00:00+01:00"),
        _record("kr1", service_id=KR),
        _record("ru1", service_id=RU),
    ]
    assert api("admin", "POST", URL, json=body).get_json()["accepted"] == 3

    def visible(username):
        response = api(username, "GET", URL)
        assert response.status_code == 200
        return sorted(r["record_id"] for r in response.get_json()["result"])

    assert visible("admin") == ["it1", "kr1", "ru1"]
    assert visible("csr") == ["it1"]
    assert visible("technician") == ["ru1"]
    assert visible("csr_ko") == ["kr1"]

    with app.app_context():
        ids = {r: record.id for r, record in _stored().items()}
    shown = api("csr", "GET", f"{URL}{ids['it1']}")
    assert shown.status_code == 200
    result = shown.get_json()["result"]
    assert result["record_id"] == "it1"
    assert result["service"]["service_id"] == IT
    assert result["quantity"] == 60
    assert result["started_at"].startswith("2026-02-09T09:00:00")
    assert api("csr", "GET", f"{URL}{ids['ru1']}").status_code == 404
    # records are never changed through the API
    assert api("admin", "PUT", f"{URL}{ids['it1']}", json={"quantity": 1}).status_code == 405
    assert api("admin", "DELETE", f"{URL}{ids['it1']}").status_code == 405


def test_openapi_spec_lists_the_usage_endpoints(api):
    response = api("technician", "GET", "/api/v1/_openapi")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    paths = response.get_json()["paths"]
    assert set(paths["/api/v1/usage/"]) == {"get", "post"}
    assert set(paths["/api/v1/usage/{pk}"]) == {"get"}
    assert api("csr", "GET", f"{URL}_info").status_code in (404, 405)
    assert api("csr", "GET", f"{URL}related/service").status_code == 404
