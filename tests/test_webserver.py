"""The real Dagster webserver on a free loopback port serves the graph of the Definitions."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import describe, temporary_settings
from pipelines.definitions import build_definitions
from pipelines.settings import PROJECT_ROOT, Settings

WEBSERVER = str(Path(sys.executable).parent / "dagster-webserver")
STARTUP_SECONDS = 180

QUERY = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        jobs { name }
        schedules { name cronSchedule executionTimezone }
        sensors { name }
        assetNodes {
          assetKey { path }
          groupName
          automationCondition { label }
          assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
        }
      }
    }
  }
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return temporary_settings(tmp_path, tmp_path / "lieferungen")


@pytest.fixture
def webserver(tmp_path: Path, settings: Settings):
    """``dagster-webserver -m pipelines.definitions`` with its state in a temporary folder."""
    port = free_port()
    env = {
        **os.environ,
        **settings.env(),
        "DAGSTER_HOME": str(PROJECT_ROOT),
        "KEKIZ_DAGSTER_STORAGE": str(tmp_path / "dagster"),
        "KEKIZ_DAGSTER_LOGS": str(tmp_path / "logs"),
    }
    log = (tmp_path / "webserver.log").open("wb")
    process = subprocess.Popen(
        [WEBSERVER, "-h", "127.0.0.1", "-p", str(port), "-m", "pipelines.definitions"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its code server joins the group, stopped with it
    )
    try:
        yield port, wait_until_loaded(process, port, tmp_path / "webserver.log")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def wait_until_loaded(process: subprocess.Popen, port: int, log: Path) -> dict:
    """Poll until the code location is loaded; return the answer to QUERY."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            data = graphql(port, QUERY)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(1)
            continue
        [entry] = data["workspaceOrError"]["locationEntries"]
        if entry["loadStatus"] == "LOADED":
            assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
            return data
        time.sleep(1)
    pytest.fail(f"webserver not ready within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


def test_webserver_serves_the_asset_graph_and_checks(webserver, settings):
    port, data = webserver
    [repo] = data["repositoriesOrError"]["nodes"]
    expected = describe(build_definitions(settings))

    served_assets = {"/".join(n["assetKey"]["path"]): n for n in repo["assetNodes"]}
    assert set(served_assets) == set(expected["assets"])
    for key, node in served_assets.items():
        assert node["groupName"] == expected["assets"][key]["group"]
        label = (node["automationCondition"] or {}).get("label")
        assert label == expected["assets"][key]["automation"]
    served_checks = sorted(
        f"{key}:{check['name']}"
        for key, node in served_assets.items()
        for check in node["assetChecksOrError"]["checks"]
    )
    assert served_checks == expected["checks"]

    assert {s["name"] for s in repo["sensors"]} == set(expected["sensors"])
    assert {
        s["name"]: {"cron": s["cronSchedule"], "timezone": s["executionTimezone"]}
        for s in repo["schedules"]
    } == {
        name: {"cron": s["cron"], "timezone": s["timezone"]}
        for name, s in expected["schedules"].items()
    }
    served_jobs = {j["name"] for j in repo["jobs"] if not j["name"].startswith("__")}
    assert served_jobs == set(expected["jobs"])
    # the web UI itself answers on the loopback address
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=10) as response:
        assert json.load(response)["dagster_webserver_version"]


def test_kekiz_dev_starts_the_ui_without_its_environment_on_the_path(tmp_path, settings):
    """As the README shows it: ``.venv/bin/kekiz dev`` from any folder, plain system PATH."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER", "KEKIZ"))},
        **settings.env(),
        "KEKIZ_STATE_DIR": str(tmp_path / "state"),
        "PATH": "/usr/bin:/bin",
    }
    log_path = tmp_path / "dev.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "kekiz"), "dev", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            data = wait_until_loaded(process, port, log_path)
            assert data["repositoriesOrError"]["nodes"][0]["jobs"]
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
