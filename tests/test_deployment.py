"""The instance configuration and the deployment files under deploy/, loaded as the server does."""

import configparser
import shlex
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster._config import process_config
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import pg_url_from_config

from pipelines.settings import PROJECT_ROOT, STATE_FOLDERS, Settings, dagster_environment

DEPLOY = PROJECT_ROOT / "deploy"
POSTGRES_SNIPPET = DEPLOY / "dagster-postgres.yaml"
MODULE = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["dagster"][
    "module_name"
]


def env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as systemd's EnvironmentFile and `uv run --env-file` read them."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_instance_configuration():
    config, _ = dagster_instance_config(str(PROJECT_ROOT))
    assert config["storage"]["custom"]["config"] == {
        "variable": "KEKIZ_DAGSTER_STORAGE",
        "folder": "dagster",
    }
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 2
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_retries"] == {"enabled": True, "max_retries": 2}
    assert config["run_monitoring"] == {"enabled": True, "max_runtime_seconds": 7200}
    assert config["telemetry"] == {"enabled": False}


@pytest.mark.parametrize("state_dir", [None, "zustand"])
def test_the_instance_keeps_its_state_where_kekiz_says_without_any_variable(
    tmp_path, monkeypatch, state_dir
):
    """dagster.yaml needs no variable: by default var/ beside it, else KEKIZ_STATE_DIR; the
    folders are those ``kekiz`` passes on (dagster_environment)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    for name in ("KEKIZ_STATE_DIR", *STATE_FOLDERS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    if state_dir:
        monkeypatch.setenv("KEKIZ_STATE_DIR", str(tmp_path / state_dir))
    state = tmp_path / state_dir if state_dir else home / "var"
    with DagsterInstance.get() as instance:
        assert instance.root_directory == str(state / "dagster")
        assert instance.compute_log_manager._base_dir == str(state / "logs")
        assert instance.get_runs() == []
    assert (state / "dagster" / "history" / "runs.db").exists()
    assert dagster_environment() == {
        "DAGSTER_HOME": str(home),
        "KEKIZ_DAGSTER_STORAGE": str(state / "dagster"),
        "KEKIZ_DAGSTER_LOGS": str(state / "logs"),
    }


def test_a_storage_variable_overrides_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    monkeypatch.setenv("KEKIZ_DAGSTER_STORAGE", str(tmp_path / "lauf"))
    monkeypatch.setenv("KEKIZ_DAGSTER_LOGS", str(tmp_path / "protokolle"))
    with DagsterInstance.get() as instance:
        assert instance.root_directory == str(tmp_path / "lauf")
        assert instance.compute_log_manager._base_dir == str(tmp_path / "protokolle")


def test_postgres_storage_snippet_is_a_valid_instance_configuration(monkeypatch):
    snippet = yaml.safe_load(POSTGRES_SNIPPET.read_text())
    config, _ = dagster_instance_config(str(PROJECT_ROOT), overrides=snippet)
    assert set(config["storage"]) == {"postgres"}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"  # the rest is kept

    for name, value in {
        "KEKIZ_PG_HOST": "db.stadt.example",
        "KEKIZ_PG_DB": "kekiz_dagster",
        "KEKIZ_PG_USER": "kekiz",
        "KEKIZ_PG_PASSWORD": "geheim",
    }.items():
        monkeypatch.setenv(name, value)
    storage = process_config(DagsterPostgresStorage.config_type(), snippet["storage"]["postgres"])
    assert storage.success, storage.errors
    url = pg_url_from_config(storage.value)
    assert url == "postgresql://kekiz:geheim@db.stadt.example:5432/kekiz_dagster"


def test_a_broken_postgres_snippet_is_rejected():
    snippet = yaml.safe_load(POSTGRES_SNIPPET.read_text())
    db = snippet["storage"]["postgres"]["postgres_db"]
    db["host"] = db.pop("hostname")
    with pytest.raises(DagsterInvalidConfigError):
        dagster_instance_config(str(PROJECT_ROOT), overrides=snippet)


def test_env_example_sets_every_setting_the_services_need(monkeypatch):
    env = env_file(PROJECT_ROOT / ".env.example")
    settings_env = Settings.from_env().env()
    assert set(env) == set(settings_env) | set(dagster_environment())
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings.from_env().env() == {name: env[name] for name in settings_env}
    assert dagster_environment() == {name: env[name] for name in dagster_environment()}
    # the Postgres variables of the snippet are documented (commented out) in the example
    snippet = POSTGRES_SNIPPET.read_text()
    for name in ("KEKIZ_PG_HOST", "KEKIZ_PG_DB", "KEKIZ_PG_USER", "KEKIZ_PG_PASSWORD"):
        assert name in snippet and f"# {name}=" in (PROJECT_ROOT / ".env.example").read_text()


@pytest.mark.parametrize(
    ("unit", "program"),
    [("kekiz-webserver.service", "dagster-webserver"), ("kekiz-daemon.service", "dagster-daemon")],
)
def test_systemd_units_start_the_installed_programs(unit, program):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / unit)
    service = parser["Service"]
    command = shlex.split(service["ExecStart"])
    checkout = Path(service["WorkingDirectory"])
    assert command[0] == str(checkout / ".venv" / "bin" / program)
    assert (Path(sys.executable).parent / program).exists()  # installed with kekiz
    assert command[command.index("-m") + 1] == MODULE
    assert service["EnvironmentFile"] == str(checkout / ".env")
    assert env_file(PROJECT_ROOT / ".env.example")["DAGSTER_HOME"] == str(checkout)
    assert parser["Install"]["WantedBy"] == "multi-user.target"


def test_webserver_listens_on_loopback_behind_the_proxy():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(DEPLOY / "systemd" / "kekiz-webserver.service")
    command = shlex.split(parser["Service"]["ExecStart"])
    host, port = command[command.index("-h") + 1], command[command.index("-p") + 1]
    assert host == "127.0.0.1"
    nginx = (DEPLOY / "nginx" / "kekiz.conf").read_text()
    assert f"proxy_pass http://{host}:{port};" in nginx
    assert "auth_request" in nginx
