"""The wheel carries everything the app reads at run time, and an installed copy works from
anywhere: it sets up its database with the migrations it ships and serves its pages."""

import fcntl
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built once for the whole run: pip builds in the checkout itself (its build/ and
    egg-info), so test workers building at the same time would trip over each other."""
    shared = tmp_path_factory.getbasetemp().parent  # the same for every xdist worker
    with open(shared / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = shared / "wheel"
        built = list(out.glob("abonent-*.whl"))
        if not built:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w",
                 str(out)],
                capture_output=True,
                text=True,
                check=False,
            )  # fmt: skip
            assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
            built = list(out.glob("abonent-*.whl"))
        return built[0]


def test_the_wheel_holds_templates_fonts_migrations_and_translations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        "app/config.py",
        "app/templates/pdf/invoice.html",
        "app/static/fonts/DejaVuSans.ttf",
        "app/static/fonts/NanumGothic.ttf",
        "app/migrations/env.py",
        "app/migrations/alembic.ini",
        "app/migrations/script.py.mako",
        *(f"app/translations/{lang}/LC_MESSAGES/messages.mo" for lang in ("it", "ko", "ru")),
    }
    assert wanted - names == set()
    migrations = {p.name for p in (ROOT / "app" / "migrations" / "versions").glob("*.py")}
    assert {f"app/migrations/versions/{name}" for name in migrations} <= names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_wheel_declares_its_licence_as_an_spdx_expression(wheel):
    archive = zipfile.ZipFile(wheel)
    metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    text = archive.read(metadata).decode()
    assert "License-Expression: AGPL-3.0-or-later" in text
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist())


def test_an_installed_wheel_sets_up_its_database_and_serves_pages(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel],
        check=True,
        capture_output=True,
    )
    script = textwrap.dedent(
        """
        from flask_babel import force_locale, gettext

        import app
        from app import create_app
        from app.services.platform.actor import acting_as
        from app.services.platform.setup import setup

        assert app.__file__.startswith(TARGET), app.__file__
        application = create_app()
        with application.app_context(), acting_as():
            setup()
        assert application.test_client().get("/login/").status_code == 200
        with application.test_request_context(), force_locale("ko"):
            print(gettext("Customers"))
        """
    ).replace("TARGET", repr(str(target)))
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,  # away from the checkout: only the installed copy can be imported
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PYTHONPATH": str(target),
            "ABONENT_INSTANCE": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'abonent.db'}",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "고객"
