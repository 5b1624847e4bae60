"""Process coordination: the lock that keeps a single scheduler active."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.types import UTCDateTime


class ProcessLock(Model):
    __tablename__ = "process_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
