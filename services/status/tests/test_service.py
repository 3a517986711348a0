"""Interface tests of the status service: real RabbitMQ, a fresh vhost per test."""

from status.service import StatusService

from pawline.testing.checks import check_health_live, check_ping


def test_ping_answers_over_rpc(container_factory, rabbit_config):
    check_ping(container_factory, rabbit_config, StatusService)


def test_health_live_answers_over_http(container_factory, web_config, web_session):
    check_health_live(container_factory, web_config, web_session, StatusService)
