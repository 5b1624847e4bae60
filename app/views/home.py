"""The landing page: a short overview of the user's regions."""

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from app.security import is_staff
from app.services.overview import home
from app.services.platform.scoping import current_region_ids
from app.services.portal.access import is_customer


class HomeView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        if is_customer(g.user):
            return redirect(url_for("portal.home"))  # customers never land in the staff screens
        figures = None
        if g.user is not None and g.user.is_authenticated and is_staff(g.user):
            figures = home.figures(current_region_ids())
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, figures=figures
        )
