"""Interface tests of the status service: real RabbitMQ, a fresh vhost per test."""

from pawline.testing.checks import check_health_live, check_ping, check_ready_and_metrics
from status.service import StatusService


def test_ping_answers_over_rpc(container_factory, rabbit_config):
    check_ping(container_factory, rabbit_config, StatusService)


def test_health_live_answers_over_http(container_factory, rabbit_config, web_config, http_session):
    check_health_live(container_factory, rabbit_config, web_config, http_session, StatusService)


def test_ready_and_metrics_answer_over_http(
    container_factory, rabbit_config, web_config, http_session
):
    check_ready_and_metrics(
        container_factory, rabbit_config, web_config, http_session, StatusService
    )
