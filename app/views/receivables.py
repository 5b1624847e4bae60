"""Receivables screens: the aging of open invoices as of a date, the accounts behind each
figure, and the downloads finance asks for (the aging, the ledger and the accounting
journal as CSV). The figures come from app/services/receivables/; these pages read the
dates asked for and show them."""

from datetime import date

from flask import Response, request, stream_with_context
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.models.types import utcnow
from app.security import PAYMENTS_MENU, RECEIVABLES, VIEW_METHOD_PERMISSIONS
from app.services.dataio import exports
from app.services.platform import validation
from app.services.platform.errors import DomainError
from app.services.platform.scoping import current_region_ids
from app.services.receivables import aging
from app.views.display import local_date

DOWNLOADS = {"ledger": _l("Ledger"), "journal": _l("Accounting journal")}


def _csv(lines, filename: str) -> Response:
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


class ReceivablesView(BaseView):
    route_base = "/receivables"
    class_permission_name = RECEIVABLES
    method_permission_name = {
        **VIEW_METHOD_PERMISSIONS,
        "aging": "read",
        "accounts": "read",
        "aging_csv": "read",
        "download": "read",
    }
    default_view = "aging"

    @staticmethod
    def _day(field: str) -> date | None:
        return validation.check_date(field, request.args.get(field, "").strip())

    def _as_of(self) -> date:
        return self._day("as_of") or utcnow().date()

    def _report(self):
        """The aging of the user's regions on the day asked for (DomainError: a bad day)."""
        return aging.aging(self._as_of(), current_region_ids())

    def _page(self, report, error: str | None = None, status: int = 200):
        return self.render_template(
            "receivables.html",
            error=error,
            report=report,
            as_of=report.as_of.isoformat() if report else request.args.get("as_of", ""),
            buckets=aging.BUCKETS,
            labels=aging.BUCKET_LABELS,
            downloads=DOWNLOADS,
            local_date=local_date,
            title=_l("Receivables aging"),
        ), status

    def _refused(self, exc: DomainError, status: int = 400):
        return self._page(None, exc.message, status)

    @expose("/")
    @has_access
    def aging(self):
        try:
            report = self._report()
        except DomainError as exc:
            return self._refused(exc)
        return self._page(report)

    @expose("/accounts")
    @has_access
    def accounts(self):
        args = request.args
        try:
            as_of = self._as_of()
            region_id = validation.check_whole_between("region", args.get("region"), 1, 2**31 - 1)
            accounts, count = aging.bucket_accounts(
                as_of,
                current_region_ids(),
                region_id,
                args.get("currency", ""),
                args.get("bucket", ""),
            )
        except DomainError as exc:
            return self._refused(exc)
        return self.render_template(
            "receivables_accounts.html",
            accounts=accounts,
            count=count,
            as_of=as_of,
            currency=args.get("currency"),
            bucket=aging.BUCKET_LABELS[args["bucket"]],
            local_date=local_date,
            title=_l("Accounts in the bucket"),
        )

    @expose("/aging.csv")
    @has_access
    def aging_csv(self):
        try:
            report = self._report()
        except DomainError as exc:
            return self._refused(exc)
        return _csv(aging.csv_lines(report), f"aging-{report.as_of.isoformat()}.csv")

    @expose("/download/<kind>.csv")
    @has_access
    def download(self, kind: str):
        """The ledger or the journal of the user's regions, for the days asked for."""
        if kind not in DOWNLOADS:
            return self._refused(
                DomainError("kind", _l("unknown download %(kind)s", kind=repr(kind))), 404
            )
        try:
            period = {"since": self._day("from"), "until": self._day("to")}
        except DomainError as exc:
            return self._refused(exc)
        lines = exports.csv_lines(kind, current_region_ids(), for_spreadsheet=True, **period)
        return _csv(lines, f"{kind}.csv")


def register(appbuilder) -> None:
    appbuilder.add_view(
        ReceivablesView,
        RECEIVABLES,
        label=_l("Receivables"),
        icon="fa-hourglass-half",
        category=PAYMENTS_MENU,
        category_label=_l("Payments"),
        category_icon="fa-money-bill",
    )
