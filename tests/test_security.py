"""Roles, permissions and the security baseline (issue: roles, CSRF, JWT, cookies, headers)."""

import pytest

from app.extensions import appbuilder, db
from app.security import ROLE_PERMISSIONS
from tests.conftest import PASSWORD

# resource -> access per role: "rw" read and write, "r" read only, "-" none
MATRIX = {
    "Customers": {"Supervisor": "rw", "CSR": "rw", "Billing": "r", "Technician": "r"},
    "Accounts": {"Supervisor": "rw", "CSR": "rw", "Billing": "rw", "Technician": "r"},
    # lines change only through orders and provisioning
    "Services": {"Supervisor": "r", "CSR": "r", "Billing": "r", "Technician": "r"},
    "Orders": {"Supervisor": "rw", "CSR": "rw", "Billing": "r", "Technician": "r"},
    "Provisioning": {"Supervisor": "rw", "CSR": "r", "Billing": "r", "Technician": "rw"},
    "Contacts": {"Supervisor": "rw", "CSR": "rw", "Billing": "r", "Technician": "r"},
    "Regions": {"Supervisor": "rw", "CSR": "r", "Billing": "r", "Technician": "r"},
    "Imports": {"Supervisor": "r", "CSR": "-", "Billing": "-", "Technician": "-"},
    "AuditLog": {"Supervisor": "r", "CSR": "-", "Billing": "-", "Technician": "-"},
    "Catalog": {"Supervisor": "rw", "CSR": "r", "Billing": "rw", "Technician": "r"},
    "Numbers": {"Supervisor": "rw", "CSR": "r", "Billing": "r", "Technician": "rw"},
    # usage feeds come from network systems (Technician or Supervisor accounts)
    "Usage": {"Supervisor": "rw", "CSR": "r", "Billing": "r", "Technician": "rw"},
    # adjustments above their limit are decided by billing staff; supervisors set the limits
    "Adjustments": {"Supervisor": "rw", "CSR": "r", "Billing": "rw", "Technician": "r"},
    "AdjustmentLimits": {"Supervisor": "rw"},
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
        ("billing", "/importbatchview/list/", False),  # rejects hold every region's rows
        ("supervisor", "/importbatchview/list/", True),
        ("technician", "/serviceview/add", False),  # no such screen: orders make lines
        ("csr", "/orderview/new", True),
        ("technician", "/orderview/new", False),
        ("technician", "/provisioningtaskview/list/", True),
        ("technician", "/customerview/add", False),
        ("supervisor", "/users/list/", True),
        ("supervisor", "/roles/list/", True),
        ("supervisor", "/auditlogview/list/", True),
        ("csr", "/productview/list/", True),
        ("csr", "/productview/add", False),
        ("billing", "/productview/add", True),
        ("billing", "/discountview/add", True),
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


def test_supervisor_cannot_hand_out_the_admin_role_or_touch_the_system_user(login, app):
    with app.app_context():
        admin_role = appbuilder.sm.find_role("Admin").id
        system = appbuilder.sm.find_user(username="system").id
        me = appbuilder.sm.find_user(username="supervisor").id
    supervisor = login("supervisor")
    form = supervisor.get(f"/users/edit/{me}").get_data(as_text=True)
    roles = form[form.index('id="roles"') :]
    assert f'<option value="{admin_role}"' not in roles[: roles.index("</select>")]
    supervisor.submit(
        f"/users/edit/{me}",
        {
            "first_name": "S",
            "last_name": "V",
            "username": "supervisor",
            "email": "supervisor@test.example",
            "active": "y",
            "roles": str(admin_role),
        },
    )
    with app.app_context():
        assert [r.name for r in appbuilder.sm.find_user(username="supervisor").roles] == [
            "Supervisor"
        ]
    assert supervisor.get(f"/users/show/{system}").status_code == 404
    assert "system@abonent.invalid" not in supervisor.get("/users/list/").get_data(as_text=True)


def test_supervisor_creates_a_scoped_staff_user(login, app, tmp_path):
    from app.models.crm import Region
    from app.services.actor import acting_as
    from tests.helpers import import_rows

    with app.app_context(), acting_as():
        import_rows(tmp_path)
        csr_role = appbuilder.sm.find_role("CSR").id
        korea = db.session.scalar(db.select(Region.id).where(Region.code == "KR-SEL"))
    response = login("supervisor").submit(
        "/users/add",
        {
            "first_name": "Min",
            "last_name": "Kim",
            "username": "new.csr.kr",
            "email": "new.csr.kr@test.example",
            "active": "y",
            "roles": str(csr_role),
            "regions": str(korea),
            "password": "a-long-enough-password",
            "conf_password": "a-long-enough-password",
        },
    )
    assert response.status_code == 302
    from tests.conftest import Browser

    staff = Browser(app.test_client())
    assert staff.login("new.csr.kr", "a-long-enough-password").status_code == 302
    page = staff.get("/customerview/list/").get_data(as_text=True)
    assert "김민준" in page and "Anna Neri" not in page


def test_supervisor_cannot_take_over_an_admin_account(login, app):
    with app.app_context():
        sm = appbuilder.sm
        admin_user = sm.find_user(username="admin").id
        csr_user = sm.find_user(username="csr").id
        admin_role = sm.find_role("Admin").id
    supervisor = login("supervisor")
    assert supervisor.get(f"/resetpassword/form?pk={admin_user}").status_code == 404
    token = supervisor.csrf(f"/resetpassword/form?pk={csr_user}")
    taken = supervisor.client.post(
        f"/resetpassword/form?pk={admin_user}",
        data={"password": "x" * 14, "conf_password": "x" * 14, "csrf_token": token},
    )
    assert taken.status_code == 404
    assert supervisor.get(f"/users/edit/{admin_user}").status_code == 404
    assert ">admin<" not in supervisor.get("/users/list/").get_data(as_text=True)
    assert supervisor.get(f"/roles/show/{admin_role}").status_code == 404
    with app.app_context():  # the admin can still sign in with the old password
        assert appbuilder.sm.auth_user_db("admin", PASSWORD) is not None


def test_roles_hand_out_only_what_the_granter_holds(login, app):
    with app.app_context():
        sm = appbuilder.sm
        everything = sm.add_role("Everything")
        everything.permissions = list(sm.find_role("Admin").permissions)
        db.session.commit()
        everything_id = everything.id
        held = {p.id for p in sm.find_role("Supervisor").permissions}
        foreign = next(p.id for p in sm.find_role("Admin").permissions if p.id not in held)
    supervisor = login("supervisor")
    me = supervisor.get("/users/userinfo/")
    assert me.status_code == 200
    user_form = supervisor.get("/users/add").get_data(as_text=True)
    roles = user_form[user_form.index('id="roles"') :]
    assert f'value="{everything_id}"' not in roles[: roles.index("</select>")]
    role_form = supervisor.get("/roles/add").get_data(as_text=True)
    permissions = role_form[role_form.index('id="permissions"') :]
    permissions = permissions[: permissions.index("</select>")]
    assert f'value="{foreign}"' not in permissions
    assert f'value="{min(held)}"' in permissions


def test_api_login_without_a_provider_is_400(app):
    response = app.test_client().post(
        "/api/v1/security/login", json={"username": "csr", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert response.get_json() == {"message": {"provider": ["required"]}}
