"""Every service is an installable package an ops team can deploy on its own."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest
import yaml
from nameko.cli.main import setup_yaml_parser

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["booking", "billing", "staff", "notify", "status", "gateway"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_an_installable_package(service):
    package = ROOT / "services" / service
    project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
    assert project["name"] == f"pawline-{service}"
    assert "pawline" in project["dependencies"]
    assert (package / "tests").is_dir()
    module = importlib.import_module(f"{service}.service")
    service_cls = getattr(module, f"{service.capitalize()}Service")
    assert service_cls.name == service


@pytest.mark.parametrize("service", SERVICES)
def test_config_takes_every_setting_from_the_environment(service, monkeypatch):
    monkeypatch.setenv("AMQP_URI", "pyamqp://someone:secret@broker.example:5672/prod")
    monkeypatch.setenv("MONGO_URI", "mongodb://store.example:27017/?replicaSet=rs0")
    monkeypatch.setenv("MONGO_DATABASE", f"{service}_prod")
    monkeypatch.setenv("WEB_SERVER_ADDRESS", "0.0.0.0:80")
    setup_yaml_parser()
    config = yaml.safe_load((ROOT / "services" / service / "config.yaml").read_text())
    assert config["AMQP_URI"] == "pyamqp://someone:secret@broker.example:5672/prod"
    assert config["MONGO_URI"] == "mongodb://store.example:27017/?replicaSet=rs0"
    assert config["MONGO_DATABASE"] == f"{service}_prod"
    assert config["WEB_SERVER_ADDRESS"] == "0.0.0.0:80"


@pytest.mark.parametrize("service", SERVICES)
def test_config_defaults_run_on_one_machine(service, monkeypatch):
    for name in ("AMQP_URI", "MONGO_URI", "MONGO_DATABASE", "WEB_SERVER_ADDRESS", "MONGO_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    setup_yaml_parser()
    config = yaml.safe_load((ROOT / "services" / service / "config.yaml").read_text())
    assert config["AMQP_URI"].startswith("pyamqp://guest:guest@127.0.0.1:5672")
    assert config["MONGO_URI"] == "mongodb://127.0.0.1:27017"
    assert config["MONGO_DATABASE"] == service  # each service owns its own database
    assert config["MONGO_TIMEOUT"] == 5
