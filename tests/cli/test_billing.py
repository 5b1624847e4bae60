"""`flask billing deliver` and `flask billing print-batch`: the delivery job and the paper
batch from the command line (`flask billing run` and `pdf` are tested with their services)."""

from pypdf import PdfReader

from app.extensions import db
from app.models.communications import PrintBatch
from tests.helpers import pdf_text
from tests.services.billing.test_delivery import billed  # noqa: F401  (the fixture)


def test_deliver_then_print_the_paper_bills(app, billed, smtp, tmp_path):  # noqa: F811
    runner = app.test_cli_runner()
    result = runner.invoke(args=["billing", "deliver"])
    assert (result.exit_code, result.output) == (0, "queued 6, sent 2, retrying 0, failed 1\n")
    out = tmp_path / "batch.pdf"
    result = runner.invoke(args=["billing", "print-batch", "-o", str(out), "--region", "IT-C"])
    assert result.exit_code == 1
    assert "no paper bill is waiting" in result.output
    result = runner.invoke(args=["billing", "print-batch", "-o", str(out), "--region", "RU-MOW"])
    assert result.exit_code == 0, result.output
    batch = db.session.scalar(db.select(PrintBatch))
    assert result.output == f"{out}: print batch {batch.id}, 2 bills, {batch.pages} pages\n"
    assert len(PdfReader(out).pages) == batch.pages
    assert "Иван Петров" in pdf_text(out.read_bytes())
    result = runner.invoke(args=["billing", "print-batch", "-o", str(out), "--region", "XX"])
    assert (result.exit_code, result.output) == (1, "error: --region: unknown region XX\n")
