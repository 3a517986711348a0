"""How `make up` / `make test` get a broker, decided without touching one."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def devstack(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("devstack", ROOT / "devstack" / "devstack.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    commands: list[list[str]] = []
    module.commands = commands
    monkeypatch.setattr(module, "run", lambda command, env=None: commands.append(command))
    monkeypatch.setattr(module, "wait_until", lambda check, what, seconds: None)
    monkeypatch.setattr(module, "management_answers", lambda: True)
    return module


def test_a_running_broker_is_left_alone(devstack, monkeypatch):
    monkeypatch.setattr(devstack, "answers", lambda host, port: True)
    devstack.ensure_broker()
    assert devstack.commands == []


def test_a_stopped_local_broker_is_started(devstack, monkeypatch):
    monkeypatch.setattr(devstack, "answers", lambda host, port: False)
    monkeypatch.setattr(devstack.shutil, "which", lambda name: f"/usr/sbin/{name}")
    devstack.ensure_broker()
    assert devstack.commands == [["rabbitmq-server", "-detached"]]


def test_a_missing_broker_is_installed_from_system_packages_as_root(devstack, monkeypatch):
    monkeypatch.setattr(devstack, "answers", lambda host, port: False)
    monkeypatch.setattr(
        devstack.shutil, "which", lambda name: "/usr/bin/apt-get" if name == "apt-get" else None
    )
    monkeypatch.setattr(devstack.os, "geteuid", lambda: 0)
    devstack.ensure_broker()
    assert devstack.commands == [
        ["/usr/bin/apt-get", "update", "-q"],
        ["/usr/bin/apt-get", "install", "-y", "-q", "rabbitmq-server"],
        ["rabbitmq-server", "-detached"],
    ]


def test_without_a_way_to_install_it_says_how_to_get_one(devstack, monkeypatch):
    monkeypatch.setattr(devstack, "answers", lambda host, port: False)
    monkeypatch.setattr(devstack.shutil, "which", lambda name: None)
    monkeypatch.setattr(devstack.os, "geteuid", lambda: 1000)
    with pytest.raises(devstack.DevstackError, match="apt-get install rabbitmq-server"):
        devstack.ensure_broker()
    assert devstack.commands == []


def test_a_remote_broker_is_never_installed_or_started_here(devstack, monkeypatch):
    monkeypatch.setenv("AMQP_URI", "pyamqp://u:p@rabbit.internal:5672/")
    monkeypatch.setattr(devstack, "answers", lambda host, port: False)
    with pytest.raises(devstack.DevstackError, match=r"rabbit\.internal:5672 \(AMQP_URI\)"):
        devstack.ensure_broker()
    assert devstack.commands == []


def test_the_management_plugin_is_enabled_when_its_api_is_silent(devstack, monkeypatch):
    monkeypatch.setattr(devstack, "answers", lambda host, port: True)
    monkeypatch.setattr(devstack, "management_answers", lambda: False)
    monkeypatch.setattr(devstack.shutil, "which", lambda name: f"/usr/sbin/{name}")
    devstack.ensure_broker()
    assert devstack.commands == [["rabbitmq-plugins", "enable", "rabbitmq_management"]]
