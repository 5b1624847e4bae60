"""The landing page: a short overview of the user's regions."""

from flask import g
from flask_appbuilder import IndexView, expose

from app.security import is_staff
from app.services.overview import home
from app.services.platform.scoping import current_region_ids


class HomeView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        figures = None
        if g.user is not None and g.user.is_authenticated and is_staff(g.user):
            figures = home.figures(current_region_ids())
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, figures=figures
        )
