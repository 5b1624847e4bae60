"""Staff download a dunning letter from the account's communications, in their regions."""

from app.extensions import db
from app.services.platform.actor import acting_as
from tests.helpers import pdf_text
from tests.services.dunning.overdue_accounts import ON, REFS, billed, case, queued, step


def test_staff_download_a_letter_of_their_regions(app, login, tmp_path):
    with app.app_context(), acting_as():
        billed(tmp_path)
        opened, found, invoices = case(REFS["it"])
        letter, _note = queued(opened, step("letter"), ON, found, invoices, None)
        db.session.commit()
        letter_id = letter.id
    shown = login("billing").get(f"/communicationview/show/{letter_id}").get_data(as_text=True)
    assert "Gentile Anna Neri" in shown
    answer = login("billing").get(f"/communicationview/letter/{letter_id}")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert "Gentile Anna Neri," in pdf_text(answer.get_data())
    assert login("billing_ko").get(f"/communicationview/letter/{letter_id}").status_code == 404
