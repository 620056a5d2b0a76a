"""The real Dagster webserver on a free loopback port serves the graph of the Definitions."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from conftest import describe, temporary_settings
from pipelines.definitions import build_definitions
from pipelines.settings import PROJECT_ROOT, Settings

SCRIPTS = Path(sys.executable).parent
WEBSERVER = str(SCRIPTS / "dagster-webserver")
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


def server_version(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=10) as answer:
        return json.load(answer)["dagster_webserver_version"]


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
    command = [WEBSERVER, "-h", "127.0.0.1", "-p", str(port), "-m", "pipelines.definitions"]
    with started(command, port, env, PROJECT_ROOT, tmp_path / "webserver.log") as data:
        yield port, data


@contextmanager
def started(
    command: list[str], port: int, env: dict[str, str], cwd: Path, log_path: Path, ready=None
):
    """Start a Dagster UI command, wait until it is ``ready`` (by default: its code location
    is loaded), stop it after."""
    ready = ready or wait_until_loaded
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its code server and daemon join the group, stopped with it
        )
        try:
            yield ready(process, port, log_path)
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Stop the process group of ``process`` (also when the command itself has exited)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until_serving(process: subprocess.Popen, port: int, log: Path) -> str:
    """Poll ``/server_info`` until the webserver answers; return its version."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            return server_version(port)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    pytest.fail(f"webserver not serving within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


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
    assert server_version(port)


def test_kekiz_dev_starts_the_ui_without_its_environment_on_the_path(tmp_path, settings):
    """As the README shows it: ``.venv/bin/kekiz dev`` from any folder, plain system PATH."""
    port = free_port()
    env = {
        **without_kekiz_variables(os.environ),
        **settings.env(),
        "KEKIZ_STATE_DIR": str(tmp_path / "state"),
        "PATH": "/usr/bin:/bin",
    }
    command = [str(SCRIPTS / "kekiz"), "dev", "--port", str(port)]
    with started(command, port, env, tmp_path, tmp_path / "dev.log") as data:
        assert data["repositoriesOrError"]["nodes"][0]["jobs"]
    assert (tmp_path / "state" / "dagster" / "history" / "runs.db").exists()


def test_kekiz_land_dev_serves_the_land_location(tmp_path):
    """The Land's own code location, started as the README shows it: its assets, the
    partitions per municipality, its sensor and schedule."""
    port = free_port()
    env = {
        **without_kekiz_variables(os.environ),
        "KEKIZ_LAND_DIR": str(tmp_path / "land"),
        "KEKIZ_STATE_DIR": str(tmp_path / "state"),
        "PATH": "/usr/bin:/bin",
    }
    command = [str(SCRIPTS / "kekiz"), "land", "dev", "--port", str(port)]
    with started(command, port, env, tmp_path, tmp_path / "land.log") as data:
        [repo] = data["repositoriesOrError"]["nodes"]
    keys = {"/".join(n["assetKey"]["path"]) for n in repo["assetNodes"]}
    assert keys == {"kommunenpakete", "landesvergleich", "landesbericht"}
    assert {s["name"] for s in repo["sensors"]} >= {"eingang_landespakete"}
    assert [s["name"] for s in repo["schedules"]] == ["landesvergleich_monatlich"]


def without_kekiz_variables(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(("DAGSTER", "KEKIZ"))}


def test_dagster_webserver_from_the_checkout_needs_no_kekiz_variables(tmp_path):
    """``dagster-webserver -m pipelines.definitions`` with DAGSTER_HOME as the README says."""
    port = free_port()
    env = {**without_kekiz_variables(os.environ), "DAGSTER_HOME": str(PROJECT_ROOT)}
    command = [WEBSERVER, "-h", "127.0.0.1", "-p", str(port), "-m", "pipelines.definitions"]
    with started(command, port, env, PROJECT_ROOT, tmp_path / "webserver.log") as data:
        assert data["repositoriesOrError"]["nodes"][0]["jobs"]
        assert server_version(port)
    assert (PROJECT_ROOT / "var" / "dagster" / "history" / "runs.db").exists()


@pytest.mark.parametrize(
    "command",
    [["dagster", "dev"], pytest.param(["dg", "dev"], marks=pytest.mark.slow)],
    ids=["dagster-dev", "dg-dev"],
)
def test_dagster_dev_and_dg_dev_use_the_instance_of_dagster_yaml(tmp_path, settings, command):
    """The ecosystem's commands from the checkout, no KEKIZ_ variable of the instance set:
    the instance of dagster.yaml keeps its history under var/ beside it."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    port = free_port()
    env = {
        **without_kekiz_variables(os.environ),
        **settings.env(),  # deliveries and warehouse in the temporary folder, for the sensors
        "DAGSTER_HOME": str(home),
        "VIRTUAL_ENV": str(SCRIPTS.parent),
        "PATH": os.pathsep.join([str(SCRIPTS), os.environ.get("PATH", "")]),
    }
    executable = [str(SCRIPTS / command[0]), *command[1:], "-h", "127.0.0.1", "-p", str(port)]
    with started(executable, port, env, PROJECT_ROOT, tmp_path / "dev.log", wait_until_serving):
        assert server_version(port)
    assert (home / "var" / "dagster" / "history" / "runs.db").exists()
