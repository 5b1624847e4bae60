"""Entry point for `flask --app run.py` and gunicorn (`run:app`)."""

from app import create_app

app = create_app()
