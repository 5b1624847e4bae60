"""Roles, permissions and the security baseline (issue: roles, CSRF, JWT, cookies, headers)."""

import pytest

from app.extensions import appbuilder, db
from app.security import ROLE_PERMISSIONS

# resource -> access per role: "rw" read and write, "r" read only, "-" none
MATRIX = {
    "Customers": {"Supervisor": "rw", "CSR": "rw", "Billing": "r", "Technician": "r"},
    "Accounts": {"Supervisor": "rw", "CSR": "rw", "Billing": "rw", "Technician": "r"},
    "Services": {"Supervisor": "rw", "CSR": "rw", "Billing": "r", "Technician": "rw"},
    "Contacts": {"Supervisor": "rw", "CSR": "rw", "Billing": "r", "Technician": "r"},
    "Regions": {"Supervisor": "rw", "CSR": "r", "Billing": "r", "Technician": "r"},
    "Imports": {"Supervisor": "r", "CSR": "-", "Billing": "r", "Technician": "-"},
    "AuditLog": {"Supervisor": "r", "CSR": "-", "Billing": "-", "Technician": "-"},
}
ROLES = ("Supervisor", "CSR", "Billing", "Technician", "Customer")


def _held(role_name):
    role = appbuilder.sm.find_role(role_name)
    return {(p.permission.name, p.view_menu.name) for p in role.permissions}


@pytest.mark.parametrize("role", ROLES)
def test_role_permission_matrix(ctx, role):
    held = _held(role)
    for resource, access in MATRIX.items():
        expected = access.get(role, "-")
        assert (("can_read", resource) in held) == ("r" in expected), (role, resource)
        assert (("can_write", resource) in held) == ("w" in expected), (role, resource)


def test_customer_role_has_no_admin_permission(ctx):
    assert _held("Customer") == set()
    assert ROLE_PERMISSIONS["Customer"] == []


def test_only_supervisor_manages_users_and_roles(ctx):
    for role in ROLES:
        held = _held(role)
        assert (("can_add", "Users") in held) == (role == "Supervisor")
        assert (("can_edit", "RoleModelView") in held) == (role == "Supervisor")


def test_admin_holds_every_permission(ctx):
    admin = appbuilder.sm.find_role("Admin")
    assert len(admin.permissions) == db.session.query(appbuilder.sm.permissionview_model).count()


@pytest.mark.parametrize(
    ("username", "url", "allowed"),
    [
        ("csr", "/customerview/list/", True),
        ("csr", "/customerview/add", True),
        ("csr", "/auditlogview/list/", False),
        ("csr", "/users/list/", False),
        ("billing", "/customerview/add", False),
        ("billing", "/accountview/add", True),
        ("billing", "/importbatchview/list/", True),
        ("technician", "/serviceview/add", True),
        ("technician", "/customerview/add", False),
        ("supervisor", "/users/list/", True),
        ("supervisor", "/roles/list/", True),
        ("supervisor", "/auditlogview/list/", True),
    ],
)
def test_screens_follow_the_matrix(login, username, url, allowed):
    response = login(username).get(url)
    assert (response.status_code == 200) == allowed, (username, url, response.status_code)


def test_forms_need_the_csrf_token(login):
    staff = login("csr")
    response = staff.client.post(
        "/customerview/add", data={"ref": "X1", "kind": "individual", "name": "No Token"}
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_mutating_api_calls_need_the_jwt_not_the_session_cookie(login, jwt, app):
    staff = login("admin")
    body = {"ref": "API1", "kind": "individual", "name": "Cookie Only", "region": 1}
    assert staff.client.post("/api/v1/customer/", json=body).status_code == 401
    assert staff.client.get("/api/v1/customer/").status_code == 401
    headers = jwt("admin")
    assert app.test_client().get("/api/v1/customer/", headers=headers).status_code == 200


def test_login_is_rate_limited(browser):
    codes = [browser.login("csr", "wrong-password-guess").status_code for _ in range(12)]
    assert codes[0] == 302  # back to the form with a message
    assert 429 in codes


def test_password_policy_needs_twelve_characters(login, app):
    supervisor = login("supervisor")
    response = supervisor.submit(
        "/users/add",
        {
            "first_name": "Short",
            "last_name": "Pass",
            "username": "shortpass",
            "email": "short@test.example",
            "active": "y",
            "roles": "3",
            "password": "Abc123!x",
            "conf_password": "Abc123!x",
        },
    )
    assert "at least 12 characters" in response.get_data(as_text=True)
    with app.app_context():
        assert appbuilder.sm.find_user(username="shortpass") is None


def test_session_cookie_is_secure_httponly_samesite(browser):
    response = browser.login("csr")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_on_html_pages(client):
    response = client.get("/login/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_customer_role_sees_no_admin_screen(app, login):
    from app.services.actor import acting_as
    from app.services.users import ensure_user
    from tests.conftest import PASSWORD

    with app.app_context(), acting_as():
        ensure_user(
            "portal.user@test.example",
            ["Customer"],
            PASSWORD,
            first_name="Portal",
            last_name="User",
            email="portal.user@test.example",
        )
    customer = login("portal.user@test.example")
    home = customer.get("/").get_data(as_text=True)
    assert 'id="not-staff"' in home and 'id="overview"' not in home
    for url in ("/customerview/list/", "/accountview/list/", "/regionview/list/", "/users/list/"):
        assert customer.get(url).status_code in (302, 403)  # access denied
