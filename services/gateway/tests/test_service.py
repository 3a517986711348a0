"""Interface tests of the gateway service: real RabbitMQ, a fresh vhost per test."""

from gateway.service import GatewayService
from pawline.testing.checks import check_health_live, check_ping, check_ready_and_metrics


def test_ping_answers_over_rpc(container_factory, gateway_config):
    check_ping(container_factory, gateway_config, GatewayService)


def test_health_live_answers_over_http(container_factory, gateway_config, web_config, http_session):
    check_health_live(container_factory, gateway_config, web_config, http_session, GatewayService)


def test_ready_and_metrics_answer_over_http(
    container_factory, gateway_config, web_config, http_session
):
    check_ready_and_metrics(
        container_factory, gateway_config, web_config, http_session, GatewayService
    )


def test_metrics_count_error_answers_and_need_no_accept_header(gateway, http_session):
    http_session.get("/v1/business")  # no credentials: 401
    reply = http_session.get("/metrics", headers={"Accept": None})
    assert reply.status_code == 200, reply.text
    assert 'pawline_gateway_error_answers_total{code="not_authenticated",status="401"}' in (
        reply.text
    )
