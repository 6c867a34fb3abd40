"""What an operator watches: health endpoints, request logs with request ids, Prometheus metrics."""

from app.ops import health, logs, metrics


def init_app(app):
    logs.init_app(app)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
