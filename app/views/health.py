"""GET /health: 200 when the database answers and accepts a write, 503 when not."""

from flask import Blueprint, jsonify

from app.services.platform import health as health_service

health = Blueprint("health", __name__)


@health.get("/health")
def check():
    ok, detail = health_service.check()
    return jsonify(status="ok" if ok else "error", database=detail), 200 if ok else 503
