"""The failure mail: a real failed run, the run-failure sensor and a local SMTP server."""

from __future__ import annotations

import email
import socket
from email.message import Message
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from assets.deliveries import incoming_run_config
from conftest import ATLAS, temporary_settings, write_csv
from pipelines.alerts import SENSOR_NAME, MailSettings, fehlermeldung_per_mail
from pipelines.definitions import build_definitions

SMTP_VARIABLES = ("KEKIZ_SMTP_HOST", "KEKIZ_SMTP_PORT", "KEKIZ_SMTP_FROM", "KEKIZ_ALERT_TO",
                  "KEKIZ_SMTP_USER", "KEKIZ_SMTP_PASSWORD", "KEKIZ_SMTP_STARTTLS")  # fmt: skip


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # the hook aiosmtpd calls
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(monkeypatch):
    """A local SMTP server, and the environment that sends failure mails to it."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    for name in SMTP_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KEKIZ_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KEKIZ_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("KEKIZ_SMTP_FROM", "kekiz@stadt.example")
    monkeypatch.setenv("KEKIZ_ALERT_TO", "statistik@stadt.example, leitung@stadt.example")
    yield handler
    controller.stop()


@pytest.fixture
def failed_run(tmp_path: Path, data_dir: Path):
    """A real run of the delivery job whose file is rejected, on a real instance."""
    settings = temporary_settings(tmp_path, data_dir)
    bad = write_csv(
        settings.incoming_dir / "sozialstrukturatlas" / "atlas_2016.csv",
        "sozialstrukturatlas",
        [ATLAS],
    )
    bad.write_bytes(bad.read_bytes().replace(b"Stichtag", b"Datum"))
    job = build_definitions(settings).resolve_job_def("lieferung_sozialstrukturatlas")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            run_config=incoming_run_config("sozialstrukturatlas", bad.name),
            instance=instance,
            raise_on_error=False,
        )
        assert not result.success
        yield instance, result


def evaluate_sensor(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> None:
    context = dg.build_run_status_sensor_context(
        sensor_name=SENSOR_NAME,
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    fehlermeldung_per_mail(context)


def test_a_failed_run_sends_one_german_mail_with_run_and_reason(inbox, failed_run):
    instance, result = failed_run
    evaluate_sensor(instance, result)

    [(recipients, mail)] = inbox.messages
    assert recipients == ["statistik@stadt.example", "leitung@stadt.example"]
    assert mail["From"] == "kekiz@stadt.example"
    assert mail["Subject"] == (
        f"kekiz: Lauf {result.run_id[:8]} fehlgeschlagen (lieferung_sozialstrukturatlas)"
    )
    body = mail.get_payload(decode=True).decode(mail.get_content_charset())
    assert f"Lauf:      {result.run_id}" in body
    assert "Sozialstrukturatlas: 1 Lieferung(en) abgelehnt" in body
    assert "Datei atlas_2016.csv: Pflichtspalte(n) fehlen in der Kopfzeile" in body
    assert "wird automatisch wiederholt" not in body


def test_without_settings_the_sensor_sends_nothing(inbox, failed_run, monkeypatch):
    monkeypatch.delenv("KEKIZ_SMTP_HOST")
    evaluate_sensor(*failed_run)
    assert inbox.messages == []


def test_mail_settings_from_the_environment():
    assert MailSettings.from_env({}) is None
    assert MailSettings.from_env({"KEKIZ_SMTP_HOST": "mail.stadt.example"}) is None
    plain = MailSettings.from_env({"KEKIZ_SMTP_HOST": "relay", "KEKIZ_ALERT_TO": "a@x, b@x"})
    assert plain == MailSettings("relay", 25, "kekiz@relay", ("a@x", "b@x"))
    login = MailSettings.from_env(
        {"KEKIZ_SMTP_HOST": "relay", "KEKIZ_ALERT_TO": "a@x", "KEKIZ_SMTP_USER": "kekiz"}
    )
    assert login is not None and login.starttls and login.port == 587
    with pytest.raises(ValueError, match="KEKIZ_SMTP_PORT"):
        MailSettings.from_env(
            {"KEKIZ_SMTP_HOST": "h", "KEKIZ_ALERT_TO": "a", "KEKIZ_SMTP_PORT": "x"}
        )
