"""The Kubernetes deployment files of the Landesauswertung, checked as Dagster reads them."""

import pytest
import yaml
from dagster._config import process_config
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster_k8s import K8sRunLauncher
from dagster_postgres import DagsterPostgresStorage

from pipelines.settings import PROJECT_ROOT

LAND = PROJECT_ROOT / "deploy" / "land"
INSTANCE = yaml.safe_load((LAND / "dagster-k8s.yaml").read_text())
VALUES = yaml.safe_load((LAND / "values.yaml").read_text())


def test_the_instance_is_valid_for_dagster_with_postgres_and_the_k8s_run_launcher(monkeypatch):
    for name in ("KEKIZ_PG_HOST", "KEKIZ_PG_DB", "KEKIZ_PG_USER", "KEKIZ_PG_PASSWORD"):
        monkeypatch.setenv(name, "land")
    config, _ = dagster_instance_config(str(PROJECT_ROOT), overrides=INSTANCE)
    assert set(config["storage"]) == {"postgres"}
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    checked = process_config(K8sRunLauncher.config_type(), launcher["config"])
    assert checked.success, checked.errors
    storage = process_config(DagsterPostgresStorage.config_type(), INSTANCE["storage"]["postgres"])
    assert storage.success, storage.errors


def test_a_misspelt_run_launcher_option_is_rejected():
    broken = yaml.safe_load((LAND / "dagster-k8s.yaml").read_text())
    broken["run_launcher"]["config"]["env_secret"] = ["kekiz-land-env"]
    checked = process_config(K8sRunLauncher.config_type(), broken["run_launcher"]["config"])
    assert not checked.success
    broken["concurrency"]["runs"]["max_concurrent_run"] = 4
    with pytest.raises(DagsterInvalidConfigError):
        dagster_instance_config(str(PROJECT_ROOT), overrides=broken)


def test_the_helm_values_serve_the_land_location_with_the_same_volume_and_secrets():
    [deployment] = VALUES["dagster-user-deployments"]["deployments"]
    args = deployment["dagsterApiGrpcArgs"]
    assert args[args.index("-m") + 1] == "pipelines.land"
    assert deployment["image"]["pullPolicy"] in ("Always", "IfNotPresent", "Never")
    env = {item["name"]: item["value"] for item in deployment["env"]}
    [mount] = deployment["volumeMounts"]
    assert env["KEKIZ_LAND_DIR"] == mount["mountPath"]
    launcher = INSTANCE["run_launcher"]["config"]
    helm_launcher = VALUES["runLauncher"]["config"]["k8sRunLauncher"]
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"
    assert helm_launcher["volumeMounts"] == launcher["volume_mounts"] == [mount]
    assert helm_launcher["volumes"] == launcher["volumes"] == deployment["volumes"]
    assert [s["name"] for s in helm_launcher["envSecrets"]] == launcher["env_secrets"]
    queue = VALUES["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert queue["maxConcurrentRuns"] == INSTANCE["concurrency"]["runs"]["max_concurrent_runs"]
