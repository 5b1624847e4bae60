"""The portal's home page."""

from flask import g, render_template

from app.services.portal import home as home_service
from app.views.portal import portal


@portal.get("/")
def home():
    return render_template("portal/home.html", home=home_service.home(g.customer_user))
