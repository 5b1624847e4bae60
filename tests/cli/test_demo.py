"""`flask demo`: the seed's summary, and an installation without the demo extra."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# the app and `flask demo seed` where neither Faker nor aiosmtpd is installed
WITHOUT_THE_DEMO_EXTRA = """
import sys
sys.modules["faker"] = sys.modules["aiosmtpd"] = None  # as if not installed
from app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
result = app.test_cli_runner().invoke(args=["demo", "seed"])
print(result.exit_code, result.output, end="")
"""


def test_seed_says_what_it_added(app, ctx):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--customers", "6"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("demo: 6 customers and ") and " usage records added in " in first
    again = app.test_cli_runner().invoke(args=["demo", "seed", "--customers", "6"])
    assert again.output.startswith("demo: 0 customers and 0 usage records added in ")


def test_the_app_runs_without_the_demo_extra(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_DEMO_EXTRA],
        cwd=ROOT,
        env={"ABONENT_INSTANCE": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1 error: the demo needs faker: pip install -e '.[demo]'\n"
