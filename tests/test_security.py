"""Roles, permissions and the security baseline (issue: roles, CSRF, JWT, cookies, headers)."""

import re

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
    # dunning: cases seen by all staff, acted on by customer care and billing; policies
    # written by supervisors; effectiveness for supervisors; collection is billing's
    "DunningCases": {"Supervisor": "rw", "CSR": "rw", "Billing": "rw", "Technician": "r"},
    "DunningPolicies": {"Supervisor": "rw", "CSR": "r", "Billing": "r"},
    "DunningEffectiveness": {"Supervisor": "r"},
    "DunningCollection": {"Supervisor": "rw", "Billing": "rw"},
    # bill disputes: seen by all staff, opened by customer care, decided by billing staff
    "Disputes": {"Supervisor": "rw", "CSR": "rw", "Billing": "r", "Technician": "r"},
    "DisputeDecisions": {"Supervisor": "w", "Billing": "w"},
    # care: every staff member works tickets; supervisors set the SLA targets
    "Tickets": {"Supervisor": "rw", "CSR": "rw", "Billing": "rw", "Technician": "rw"},
    "WorkOrders": {"Supervisor": "rw", "CSR": "r", "Billing": "r", "Technician": "rw"},
    "PlannedWorks": {"Supervisor": "rw", "CSR": "r", "Billing": "r", "Technician": "rw"},
    "SlaTargets": {"Supervisor": "rw"},
    # the interaction log: kept by those who talk to customers; technicians do not read
    # customers' conversations and recordings
    "Interactions": {"Supervisor": "rw", "CSR": "rw", "Billing": "rw"},
    # the knowledge base: read by all staff, written by customer care and supervisors
    "Knowledge": {"Supervisor": "rw", "CSR": "rw", "Billing": "r", "Technician": "r"},
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
        ("technician", "/dunning/cases/", True),
        ("technician", "/dunning/policies/", False),
        ("csr", "/dunning/policies/", True),
        ("csr", "/dunning/effectiveness/", False),
        ("supervisor", "/dunning/effectiveness/", True),
        ("csr", "/dunning/collection/", False),
        ("billing", "/dunning/collection/", True),
        ("technician", "/disputes/", True),
        ("technician", "/disputes/new?invoice=1", False),
        ("technician", "/tickets/", True),
        ("csr", "/care/sla/", False),
        ("supervisor", "/care/sla/", True),
        ("csr", "/care/interactions/", True),
        ("billing", "/care/interactions/", True),
        ("technician", "/care/interactions/", False),
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
    from app.services.platform.actor import acting_as
    from app.services.platform.users import ensure_user
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
    from app.services.platform.actor import acting_as
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
        data={"password": PASSWORD + "!", "conf_password": PASSWORD + "!", "csrf_token": token},
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


def _urls_of_every_get_route(app):
    """One URL per GET route, its arguments filled with an id or a word."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "appbuilder.static"):
            continue
        if "logout" in rule.rule:
            continue
        url = rule.rule
        for name, converter in rule._converters.items():
            value = "1" if type(converter).__name__ == "IntegerConverter" else "x"
            url = re.sub(rf"<[^>]*\b{name}>", value, url)
        yield url


@pytest.mark.parametrize("username", ["csr", "technician", "supervisor", "admin"])
def test_no_screen_answers_a_server_error(app, login, username, tmp_path):
    from app.services.platform.actor import acting_as
    from tests.helpers import import_rows

    with app.app_context(), acting_as():
        import_rows(tmp_path)
    staff = login(username)
    crashed = []
    for url in _urls_of_every_get_route(app):
        try:
            status = staff.get(url).status_code
        except Exception as exc:  # the test client re-raises what would be a 500
            crashed.append((url, repr(exc)[:80]))
        else:
            if status >= 500:
                crashed.append((url, status))
    assert crashed == []


def test_the_upload_download_route_is_gone(login):
    supervisor = login("supervisor")
    for url in ("/customerview/download/x", "/users/download/x", "/roles/download/x"):
        assert supervisor.get(url).status_code == 404


def test_a_supervisor_copies_only_roles_they_may_grant(login, app):
    from flask_appbuilder.security.sqla.models import Role

    with app.app_context():
        admin_role = appbuilder.sm.find_role("Admin").id
        supervisor_role = appbuilder.sm.find_role("Supervisor").id
    supervisor = login("supervisor")

    def copy(role_id):
        return supervisor.client.post(
            "/roles/action_post",
            data={
                "action": "copyrole",
                "rowid": str(role_id),
                "csrf_token": supervisor.csrf("/roles/list/"),
            },
        )

    assert copy(admin_role).status_code == 404
    assert copy(supervisor_role).status_code == 302
    with app.app_context():
        names = set(db.session.scalars(db.select(Role.name)))
        assert "Supervisor copy" in names and "Admin copy" not in names
        db.session.execute(db.delete(Role).where(Role.name == "Supervisor copy"))
        db.session.commit()


def test_an_unknown_action_is_not_found(login):
    supervisor = login("supervisor")
    answer = supervisor.client.post(
        "/customerview/action_post",
        data={"action": "nothing", "rowid": "1", "csrf_token": supervisor.csrf("/roles/list/")},
    )
    assert answer.status_code == 404


@pytest.fixture
def make_group(app):
    """make_group(name, role_names) -> the id of a new group; all groups go afterwards."""
    from flask_appbuilder.security.sqla.models import Group

    def make(name: str, role_names: list[str]) -> int:
        with app.app_context():
            group = Group(name=name, label=name)
            group.roles = [appbuilder.sm.find_role(r) for r in role_names]
            db.session.add(group)
            db.session.commit()
            return group.id

    yield make
    with app.app_context():
        for group in db.session.scalars(db.select(Group)):
            group.users, group.roles = [], []
            db.session.delete(group)
        db.session.commit()


def _user_form(username: str, role_id: int, group_id: int) -> dict:
    return {
        "first_name": username,
        "last_name": "Test",
        "username": username,
        "email": f"{username}@test.example",
        "active": "y",
        "roles": str(role_id),
        "groups": str(group_id),
    }


def test_a_user_is_put_into_a_group_and_holds_its_roles(login, app, make_group):
    team = make_group("Moscow desk", ["Billing"])
    with app.app_context():
        technician = appbuilder.sm.find_user(username="technician")
        moscow = [region.id for region in technician.regions]
        role = appbuilder.sm.find_role("Technician").id
        technician = technician.id
    supervisor = login("supervisor")
    form = {**_user_form("technician", role, team), "regions": moscow}
    answer = supervisor.submit(f"/users/edit/{technician}", form)
    assert answer.status_code == 302
    with app.app_context():
        user = appbuilder.sm.find_user(username="technician")
        assert [g.name for g in user.groups] == ["Moscow desk"]
        assert [region.id for region in user.regions] == moscow


def test_a_supervisor_cannot_join_a_group_holding_the_admin_role(login, app, make_group):
    admins = make_group("Operators", ["Admin"])
    with app.app_context():
        me = appbuilder.sm.find_user(username="supervisor").id
        role = appbuilder.sm.find_role("Supervisor").id
    supervisor = login("supervisor")
    form = supervisor.get(f"/users/edit/{me}").get_data(as_text=True)
    groups = form[form.index('id="groups"') :]
    assert f'value="{admins}"' not in groups[: groups.index("</select>")]
    supervisor.submit(f"/users/edit/{me}", _user_form("supervisor", role, admins))
    with app.app_context():
        assert appbuilder.sm.find_user(username="supervisor").groups == []


def test_roles_given_through_a_group_count_like_roles_given_directly(login, app, make_group):
    from flask_appbuilder.security.sqla.models import Group

    from app.services.platform.scoping import region_ids_for
    from app.services.platform.users import is_admin

    admins = make_group("Operators", ["Admin"])
    with app.app_context():
        user = appbuilder.sm.find_user(username="csr")
        user.groups = [db.session.get(Group, admins)]
        db.session.commit()
        assert is_admin(user) and region_ids_for(user) is None
        user_id = user.id
    assert login("supervisor").get(f"/users/edit/{user_id}").status_code == 404


def _tokens(client, username: str) -> dict:
    response = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": PASSWORD, "provider": "db", "refresh": True},
    )
    assert response.status_code == 200
    return response.get_json()


def _refresh(client, tokens: dict):
    headers = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    return client.post("/api/v1/security/refresh", headers=headers)


def test_a_password_reset_ends_the_refresh_and_access_tokens(app, client, login):
    tokens = _tokens(client, "technician")
    assert _refresh(client, tokens).status_code == 200
    with app.app_context():
        target = appbuilder.sm.find_user(username="technician").id
    supervisor = login("supervisor")
    supervisor.submit(
        f"/resetpassword/form?pk={target}",
        {"password": "Nuova-Parola-2026", "conf_password": "Nuova-Parola-2026"},
    )
    assert _refresh(client, tokens).status_code == 401
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/customer/", headers=access).status_code == 401
    with app.app_context():
        appbuilder.sm.reset_password(target, PASSWORD)
    assert _refresh(client, _tokens(client, "technician")).status_code == 200


def test_deactivating_a_user_ends_their_tokens_and_sessions(app, client, login):
    tokens = _tokens(client, "technician")
    technician = login("technician")
    with app.app_context():
        appbuilder.sm.find_user(username="technician").active = False
        db.session.commit()
    try:
        assert _refresh(client, tokens).status_code == 401
        assert technician.get("/customerview/list/").status_code == 302  # to the sign-in page
    finally:
        with app.app_context():
            appbuilder.sm.find_user(username="technician").active = True
            db.session.commit()
    assert _refresh(client, tokens).status_code == 401  # active again, the old token stays dead


def test_a_session_cookie_replayed_after_logout_signs_nobody_in(app, login):
    csr = login("csr")
    assert csr.get("/customerview/list/").status_code == 200
    # the browser tests' live server may have moved SERVER_NAME off localhost
    host = app.config["SERVER_NAME"].split(":")[0]
    kept = csr.client.get_cookie("session", domain=host).value
    csr.get("/logout/")
    replay = app.test_client()
    replay.set_cookie("session", kept, domain=host)
    response = replay.get("/customerview/list/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_changing_ones_password_keeps_this_session_and_ends_the_others(app, login):
    here, elsewhere = login("billing"), login("billing")
    answer = here.submit(
        "/resetmypassword/form",
        {"password": "Nuova-Parola-2026", "conf_password": "Nuova-Parola-2026"},
    )
    assert answer.status_code == 302
    try:
        assert here.get("/invoiceview/list/").status_code == 200
        assert elsewhere.get("/invoiceview/list/").status_code == 302
    finally:
        with app.app_context():
            appbuilder.sm.reset_password(appbuilder.sm.find_user(username="billing").id, PASSWORD)


def test_a_password_of_one_repeated_character_is_refused(login, app):
    with app.app_context():
        target = appbuilder.sm.find_user(username="csr").id
    answer = login("supervisor").submit(
        f"/resetpassword/form?pk={target}",
        {"password": "aaaaaaaaaaaa", "conf_password": "aaaaaaaaaaaa"},
    )
    assert "at least 6 different characters" in answer.get_data(as_text=True)
    with app.app_context():
        assert appbuilder.sm.auth_user_db("csr", "aaaaaaaaaaaa") is None


def test_users_made_by_the_cli_follow_the_same_policy(ctx):
    from app.services.platform.errors import DomainError
    from app.services.platform.users import ensure_user

    with pytest.raises(DomainError, match="password: The password is too easy to guess"):
        ensure_user(
            "weak",
            ["CSR"],
            "Password2026",
            first_name="W",
            last_name="K",
            email="weak@test.example",
        )


FORM_ROUTES = (("search_form", "list"), ("add_form", "add"), ("edit_form", "edit"))


def _reachable_forms(app):
    """(view, form name, form) for every search, add and edit form a route shows."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for view in appbuilder.baseviews:
        for form_name, route in FORM_ROUTES:
            form = getattr(view, form_name, None)
            if form is not None and f"{type(view).__name__}.{route}" in endpoints:
                yield view, form_name, form


def test_no_form_offers_a_region_scoped_table_as_a_drop_down(app):
    """Such a drop-down lists rows of every region, and grows with the business."""
    from flask_appbuilder.fields import QuerySelectField, QuerySelectMultipleField

    from app.models.crm import Region
    from app.services.platform.scoping import scope_condition

    offending = []
    with app.test_request_context():
        for view, form_name, form in _reachable_forms(app):
            for name in dir(form):
                field = getattr(form, name, None)
                if getattr(field, "field_class", None) not in (
                    QuerySelectField,
                    QuerySelectMultipleField,
                ):
                    continue
                model = view.datamodel.get_related_model(name)
                try:
                    scope_condition(model, [0])
                except TypeError:
                    continue  # not a table of any region
                if model is not Region:
                    offending.append((type(view).__name__, form_name, name))
    assert offending == []


def test_read_only_screens_have_no_write_routes(app):
    """History, the audit trail and imports are appended to by the services only."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    writable = [
        f"{type(view).__name__}.{route}"
        for view in appbuilder.baseviews
        if getattr(view, "base_permissions", None) == ["can_read"]
        for route in ("add", "edit", "delete")
        if f"{type(view).__name__}.{route}" in endpoints
    ]
    assert writable == []


def test_the_sign_in_statistics_show_only_users_one_may_manage(login):
    chart = login("supervisor").get("/userstatschartview/chart/").get_data(as_text=True)
    assert "technician" in chart
    assert '"system"' not in chart and '"admin"' not in chart
