"""The demo's mail catcher: a real SMTP server that keeps each message as a .eml file."""

import os
import signal
import smtplib
import subprocess
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from app.demo import mailcatcher
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


def _bill(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "billing@abonent.example"
    message["To"] = to
    message.set_content("Gentile cliente, la fattura è allegata.")
    message.add_attachment(
        b"%PDF-1.4 bill", maintype="application", subtype="pdf", filename="2026-000001.pdf"
    )
    return message


def _send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


def test_each_message_is_kept_whole_as_an_eml_file(tmp_path):
    said = []
    port = free_port()
    controller = mailcatcher.start(tmp_path / "mail", port, announce=said.append)
    try:
        _send(port, _bill("anna@example.com", "Fattura 2026-000001"))
        _send(port, _bill("min@example.com", "청구서 2026-000002"))
    finally:
        controller.stop()
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    assert not list((tmp_path / "mail").glob("*.part"))
    first = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert first["To"] == "anna@example.com" and first["Subject"] == "Fattura 2026-000001"
    (attachment,) = first.iter_attachments()
    assert attachment.get_filename() == "2026-000001.pdf"
    assert attachment.get_content() == b"%PDF-1.4 bill"
    assert said == [
        f"mail to anna@example.com: Fattura 2026-000001 ({files[0].name})",
        f"mail to min@example.com: 청구서 2026-000002 ({files[1].name})",
    ]


def test_the_command_keeps_mail_under_the_instance_folder_until_stopped(tmp_path):
    port = free_port()
    env = {**os.environ, "ABONENT_INSTANCE": str(tmp_path)}
    command = [sys.executable, "-m", "flask", "--app", "run.py", "demo", "mailcatcher"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = process.stdout.readline()
        assert ready == f"mail: SMTP on 127.0.0.1:{port}; messages kept in {tmp_path}/mail/\n"
        _send(port, _bill("ivan@example.com", "Счёт 2026-000003"))
        assert process.stdout.readline().startswith("mail to ivan@example.com: Счёт 2026-000003")
    finally:
        process.send_signal(signal.SIGTERM)
        _out, errors = process.communicate(timeout=20)
    assert process.returncode == 0, errors
    (kept,) = (tmp_path / "mail").glob("*.eml")
    assert message_from_bytes(kept.read_bytes(), policy=policy.default)["To"] == "ivan@example.com"
