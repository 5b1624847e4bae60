"""The REST API fuzzed from its own OpenAPI document: no request, however odd, is a 500.

Schemathesis reads `/api/v1/_openapi` and sends every operation a bounded number of
generated requests (bodies, paths and query strings that fit the document, and some that
do not), as a Supervisor (every region, nearly every permission), over customers of every
region. Whatever comes in, the answer is a 2xx or a 4xx saying what is wrong, never a
server error. The examples are derandomized: a run is the same every time, and a failure
replays.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from app.services.platform.actor import acting_as
from tests.conftest import PASSWORD
from tests.helpers import add_catalog, import_rows

EXAMPLES = 25


@pytest.fixture
def staff_headers(app):
    response = app.test_client().post(
        "/api/v1/security/login",
        json={"username": "supervisor", "password": PASSWORD, "provider": "db"},
    )
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture
def api_schema(app, tmp_path, staff_headers):
    with app.app_context(), acting_as():
        add_catalog(tmp_path)
        import_rows(tmp_path)
    return schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=staff_headers)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # generated examples only: schemathesis' coverage phase would add a hundred fixed
    # ones per operation, and the run must stay short enough for every `make test`
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_request_is_a_server_error(case, staff_headers):
    case.call_and_validate(headers=staff_headers, checks=[not_a_server_error])
