"""`flask dunning run` and `flask dunning handover`: the summary, a second run taking
nothing, the collection file written before the cases count as handed over."""

import csv
import io

from app.extensions import db
from app.models.crm import Service
from app.models.dunning import DunningCase
from app.services.orders import provisioning
from tests.services.payments.billed import billed_account


def test_a_run_and_the_hand_over_from_the_command_line(app, ctx, tmp_path):
    account = billed_account(tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dunning", "run", "--date", "2026-02-21"])
    assert (result.exit_code, result.output) == (
        0,
        "cases opened 1, closed 0, steps taken 1, held 0, waiting for the network 0\n",
    )
    result = runner.invoke(args=["dunning", "run", "--date", "2026-02-21"])
    assert result.output == (
        "cases opened 0, closed 0, steps taken 0, held 0, waiting for the network 0\n"
    )
    out = tmp_path / "debts.csv"
    result = runner.invoke(args=["dunning", "handover", str(out)])
    assert (result.exit_code, result.output) == (
        1,
        "error: cases: no case is waiting to be handed over\n",
    )
    for _ in range(5):  # through barring, suspension and termination
        runner.invoke(args=["dunning", "run", "--date", "2026-05-02"])
        provisioning.run_due()
    result = runner.invoke(args=["dunning", "handover", str(out)])
    assert (result.exit_code, result.output) == (0, "cases handed over 1\n")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    case = db.session.scalars(db.select(DunningCase)).one()
    line = db.session.scalars(db.select(Service)).one()  # terminated when the network did it
    assert [(r["case"], r["account_ref"], r["currency"], r["debt"], r["oldest_due_date"],
             r["terminated_on"]) for r in rows] == [
        (str(case), account.ref, "EUR", "70.76", "2026-02-16", line.terminated_on.isoformat())
    ]  # fmt: skip
    assert len(rows[0]["invoices"].split()) == 2
    db.session.expire_all()
    assert db.session.get(DunningCase, case.id).status == "handed_over"
    # handed over once: the next file has nothing to carry
    result = runner.invoke(args=["dunning", "handover", str(tmp_path / "again.csv")])
    assert result.exit_code == 1


def test_a_file_that_cannot_be_written_hands_over_nothing(app, ctx, tmp_path):
    billed_account(tmp_path)
    runner = app.test_cli_runner()
    for _ in range(5):
        runner.invoke(args=["dunning", "run", "--date", "2026-05-02"])
        provisioning.run_due()
    result = runner.invoke(args=["dunning", "handover", str(tmp_path / "missing" / "x.csv")])
    assert result.exit_code != 0
    db.session.expire_all()
    assert db.session.scalars(db.select(DunningCase.status)).one() == "collection"


def test_a_bad_date_is_refused(app, ctx):
    result = app.test_cli_runner().invoke(args=["dunning", "run", "--date", "tomorrow"])
    assert (result.exit_code, result.output) == (
        1,
        "error: --date: 'tomorrow' is not a date YYYY-MM-DD\n",
    )
