"""Why a run failed, in German, and the e-mail that says so.

``failure_reasons`` reads a failed run's reasons from the event log (``kekiz status`` shows
them). The sensor ``fehlermeldung_per_mail`` sends one German e-mail per failed run by SMTP.
It is stopped by default and sends nothing until ``KEKIZ_SMTP_HOST`` and ``KEKIZ_ALERT_TO`` are
set; switch it on once in the UI or with ``dagster sensor start`` (README, "Automatic
operation").
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

import dagster as dg

from pipelines.sensors import FILE_TAG

SENSOR_NAME = "fehlermeldung_per_mail"
WILL_RETRY_TAG = "dagster/will_retry"
CHECK_FAILED = "DagsterAssetCheckFailedError"
YES = ("1", "ja", "true", "yes", "on")
SMTP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class MailSettings:
    """Where failure mails go, from ``KEKIZ_SMTP_*`` and ``KEKIZ_ALERT_TO``."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    starttls: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> MailSettings | None:
        """The settings, or None when no mail server or recipient is set."""
        host, to = env.get("KEKIZ_SMTP_HOST", ""), env.get("KEKIZ_ALERT_TO", "")
        recipients = tuple(a.strip() for a in to.split(",") if a.strip())
        if not host or not recipients:
            return None
        user = env.get("KEKIZ_SMTP_USER") or None
        starttls = env.get("KEKIZ_SMTP_STARTTLS", "ja" if user else "nein").lower() in YES
        port = env.get("KEKIZ_SMTP_PORT") or ("587" if starttls else "25")
        if not port.isdigit():
            raise ValueError(f"KEKIZ_SMTP_PORT muss eine Portnummer sein, nicht {port!r}.")
        return cls(
            host=host,
            port=int(port),
            sender=env.get("KEKIZ_SMTP_FROM") or f"kekiz@{host}",
            recipients=recipients,
            user=user,
            password=env.get("KEKIZ_SMTP_PASSWORD") or None,
            starttls=starttls,
        )


def failure_reasons(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Why a run failed: each failed step with its description or error, else the run's own
    failure message (e.g. a run whose process died)."""
    steps = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    events = (record.event_log_entry.dagster_event for record in steps.records)
    reasons = [step_reason(event) for event in events if event is not None]
    if reasons:
        return reasons
    runs = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return [r.event_log_entry.dagster_event.message or "" for r in runs.records]


def step_reason(event: dg.DagsterEvent) -> str:
    """The description a step failed with (``dg.Failure``), else the step and its error."""
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    if error is None:
        return f"{event.step_key}: unbekannter Fehler"
    if error.cls_name == CHECK_FAILED:
        failed = error.message.strip().splitlines()[1:]
        return "Blockierende Prüfung nicht bestanden: " + ", ".join(failed)
    return f"{event.step_key}: {error.message.strip()}"


def failure_mail(
    instance: dg.DagsterInstance, run: dg.DagsterRun, settings: MailSettings
) -> EmailMessage:
    """The German e-mail about a failed run."""
    record = instance.get_run_record_by_id(run.run_id)
    ended = record.end_time if record is not None else None
    when = dt.datetime.fromtimestamp(ended) if ended else dt.datetime.now()
    file_line = f"Datei:     {run.tags[FILE_TAG]}\n" if FILE_TAG in run.tags else ""
    retry = (
        "Der Lauf wird automatisch wiederholt.\n\n"
        if run.tags.get(WILL_RETRY_TAG) == "true"
        else ""
    )
    reasons = "\n\n".join(failure_reasons(instance, run.run_id)) or "(kein Grund verzeichnet)"
    mail = EmailMessage()
    mail["Subject"] = f"kekiz: Lauf {run.run_id[:8]} fehlgeschlagen ({run.job_name})"
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.recipients)
    mail.set_content(
        "Ein Lauf von kekiz ist fehlgeschlagen.\n\n"
        f"Lauf:      {run.run_id}\n"
        f"Auftrag:   {run.job_name}\n"
        f"{file_line}"
        f"Zeitpunkt: {when:%d.%m.%Y %H:%M}\n\n"
        f"Grund:\n{reasons}\n\n"
        f"{retry}"
        "Einzelheiten zeigt die Dagster-Oberfläche unter „Runs“ und `kekiz status`.\n"
    )
    return mail


def send(settings: MailSettings, mail: EmailMessage) -> None:
    with smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(mail)


@dg.run_failure_sensor(
    name=SENSOR_NAME,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Schickt bei jedem fehlgeschlagenen Lauf eine E-Mail mit Lauf, Auftrag und Grund. "
        "Eingerichtet mit KEKIZ_SMTP_HOST und KEKIZ_ALERT_TO (ohne sie wird nichts "
        "gesendet); muss einmal eingeschaltet werden."
    ),
)
def fehlermeldung_per_mail(context: dg.RunFailureSensorContext) -> None:
    settings = MailSettings.from_env()
    if settings is None:
        context.log.info("Kein Mailversand eingerichtet (KEKIZ_SMTP_HOST, KEKIZ_ALERT_TO).")
        return
    send(settings, failure_mail(context.instance, context.dagster_run, settings))
    recipients = ", ".join(settings.recipients)
    context.log.info(f"Fehlermeldung zu Lauf {context.dagster_run.run_id} an {recipients}")
