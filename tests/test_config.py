"""Settings read from the environment (app/config.py)."""

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import config


@pytest.fixture
def reload_config(monkeypatch):
    """reload_config(**environment) -> the config module as those variables make it."""

    def reload(**environment):
        for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(config)

    yield reload
    monkeypatch.undo()
    importlib.reload(config)


def test_the_sign_in_limit_counts_in_redis_when_redis_is_configured(reload_config):
    assert reload_config().RATELIMIT_STORAGE_URI == "memory://"
    url = "redis://10.0.0.5:6379/1"
    with_redis = reload_config(REDIS_URL=url)
    assert with_redis.RATELIMIT_STORAGE_URI == "redis://10.0.0.5:6379/1"
    chosen = reload_config(REDIS_URL=url, RATELIMIT_STORAGE_URI="memcached://m:11211")
    assert chosen.RATELIMIT_STORAGE_URI == "memcached://m:11211"


WORKER = """
import sys
from app import create_app
app = create_app({"TESTING": True, "SERVER_NAME": "localhost", "WTF_CSRF_ENABLED": False})
client = app.test_client()
for _ in range(int(sys.argv[1])):
    answer = client.post("/api/v1/security/login",
                         json={"username": "nobody", "password": "wrong", "provider": "db"})
    print(answer.status_code)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_web_workers_share_the_sign_in_limit_through_redis(app, tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        environment = {
            **os.environ,
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "AUTH_RATE_LIMIT": "6 per 1 minute",
        }
        environment.pop("RATELIMIT_STORAGE_URI", None)

        def worker(attempts: int) -> list[int]:
            done = subprocess.run(
                [sys.executable, "-c", WORKER, str(attempts)],
                env=environment,
                cwd=Path(__file__).resolve().parent.parent,
                capture_output=True,
                text=True,
                check=True,
            )
            return [int(line) for line in done.stdout.split()]

        assert 429 not in worker(4)
        assert worker(4)[-2:] == [429, 429]  # the second worker goes on from the first's count
    finally:
        server.terminate()
        server.wait()
