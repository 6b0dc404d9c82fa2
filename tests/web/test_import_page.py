"""The Import page in a real browser: upload, row-by-row report, re-import changes nothing."""

from __future__ import annotations

import pytest

from tests.web.conftest import login, shot

pytestmark = pytest.mark.browser

CSV = (
    b"Account ID,Account Name,Website,Segment,Account Owner Email\n"
    b"WEB-IMPORT-1,Browser Upload One,https://upload-one.example,SMB,lead@example.com\n"
    b"WEB-IMPORT-2,Browser Upload Two,upload-two.example,Galactic,lead@example.com\n"
    b"WEB-IMPORT-3,Browser Upload Three,upload-three.example,Enterprise,lead@example.com\n"
)


def _upload(page, base: str, dry_run: bool = False) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/imports")
    page.set_input_files(
        "input[name=file]", {"name": "accounts.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    if dry_run:
        page.check("input[name=dry_run]")
    page.click("main button[type=submit]")
    page.wait_for_selector("#import-report")


def test_upload_reports_each_bad_row_and_a_second_upload_changes_nothing(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "lead@example.com")
    _upload(page, live_server, dry_run=True)
    assert "Dry run of accounts.csv" in page.locator("#import-report h2").inner_text()
    _upload(page, live_server)
    figures = page.locator("#import-report .kpi strong").all_inner_texts()
    assert figures == ["3", "2", "0", "0", "1"]  # rows, created, updated, unchanged, failed
    cells = page.locator("#import-errors tbody tr").first.locator("td").all_inner_texts()
    assert cells[:3] == ["3", "Segment", "Galactic"]
    assert page.locator("a[download]").get_attribute("href").startswith("data:text/csv")
    shot(page, "import-report")
    _upload(page, live_server)
    assert page.locator("#import-report .kpi strong").all_inner_texts() == ["3", "0", "0", "2", "1"]
    page.goto(f"{live_server}/book?q=Browser+Upload")
    page.wait_for_selector("text=Browser Upload One")
    assert page.locator("[data-testid=book] tbody tr").count() == 2
