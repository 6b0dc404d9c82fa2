"""Account import: Salesforce and HubSpot headers, row-by-row errors, idempotent re-import."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from steward.accounts.models import Account
from steward.core.audit import AuditEvent
from steward.core.principal import Principal
from steward.imports.service import import_csv
from tests.factories import Factory

SALESFORCE = ["Account ID", "Account Name", "Website", "Industry", "Segment", "Account Owner Email"]


def salesforce_file(rows: int, owner_email: str) -> tuple[str, dict[int, tuple[str, str]]]:
    """`rows` accounts, with a bad row every 997 lines; returns the text and the bad lines
    (line → (column, reason))."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SALESFORCE)
    bad: dict[int, tuple[str, str]] = {}
    kinds = ["segment", "name", "owner", "domain", "external_id"]
    for n in range(rows):
        line = n + 2
        row = [
            f"SF-{n:06d}",
            f"Company {n}",
            f"https://www.company{n}.example/",
            "Retail",
            "Mid-Market",
            owner_email,
        ]
        if n % 997 == 5:
            kind = kinds[len(bad) % len(kinds)]
            if kind == "segment":
                row[4] = "galactic"
                bad[line] = ("Segment", "galactic")
            elif kind == "name":
                row[1] = ""
                bad[line] = ("Account Name", "")
            elif kind == "owner":
                row[5] = "nobody@nowhere.example"
                bad[line] = ("Account Owner Email", "nobody")
            elif kind == "domain":
                row[2] = "not a domain"
                bad[line] = ("Website", "not")
            else:
                row[0] = ""
                bad[line] = ("Account ID", "")
        writer.writerow(row)
    return out.getvalue(), bad


def test_ten_thousand_rows_import_every_good_row_and_report_each_bad_one(
    factory: Factory,
) -> None:
    admin = Principal.of(factory.user("admin"))
    owner = factory.user("am")
    text, bad = salesforce_file(10_000, owner.email)

    first = import_csv(factory.db, admin, "accounts", io.StringIO(text))
    assert first.rows == 10_000
    assert first.created == 10_000 - len(bad) and first.failed == len(bad) == 11
    assert {e.line for e in first.errors} == set(bad)
    for error in first.errors:
        assert error.column == bad[error.line][0], error
        assert error.message
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == first.created
        imported = session.scalar(select(Account).where(Account.external_id == "SF-000000"))
        assert imported.domain == "company0.example"
        assert (imported.segment, imported.owner_am_id) == ("mid_market", owner.id)
        audits = session.scalar(select(func.count()).select_from(AuditEvent))

    again = import_csv(factory.db, admin, "accounts", io.StringIO(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert again.failed == first.failed
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == first.created
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == audits
    assert first.errors_csv().splitlines()[0] == "line,column,value,message"


def test_hubspot_headers_employees_lifecycle_owner_by_name_and_parents_later(
    factory: Factory,
) -> None:
    admin = Principal.of(factory.user("admin"))
    owner = factory.user("am")
    text = (
        "Record ID,Company name,Company Domain Name,Number of Employees,Lifecycle Stage,"
        "Company owner,Parent Company ID,Favourite colour\n"
        f"HS-2,Child Co,child.example,40,customer,{owner.full_name},HS-1,blue\n"
        f"HS-1,Parent Co,parent.example,2500,opportunity,{owner.email},,green\n"
        "HS-3,Orphan Co,orphan.example,150,customer,,HS-404,red\n"
    )
    report = import_csv(factory.db, admin, "accounts", io.StringIO(text))
    assert report.ignored_columns == ["Favourite colour"]
    assert report.created == 3
    [error] = report.errors
    assert (error.line, error.column, error.value) == (4, "Parent Company ID", "HS-404")
    with factory.db.session() as session:
        found = {
            a.external_id: a
            for a in session.scalars(select(Account).where(Account.external_id.like("HS-%")))
        }
    assert (found["HS-1"].segment, found["HS-1"].lifecycle_stage) == ("enterprise", "prospect")
    assert (found["HS-2"].segment, found["HS-2"].lifecycle_stage) == ("smb", "adopting")
    assert found["HS-2"].parent_id == found["HS-1"].id
    assert found["HS-2"].owner_am_id == owner.id
    assert found["HS-3"].segment == "mid_market"


def test_dry_run_writes_nothing_and_an_am_cannot_touch_accounts_outside_the_book(
    factory: Factory,
) -> None:
    am = factory.user("am")
    other = factory.user("am")
    factory.account(external_id="THEIRS-1", name="Theirs", owner_am_id=other.id)
    text = "external_id,name,segment\nMINE-1,Mine,smb\nTHEIRS-1,Renamed,smb\n"
    dry = import_csv(factory.db, Principal.of(am), "accounts", io.StringIO(text), dry_run=True)
    assert dry.created == 1 and dry.failed == 1
    with factory.db.session() as session:
        assert session.scalar(select(Account).where(Account.external_id == "MINE-1")) is None
    real = import_csv(factory.db, Principal.of(am), "accounts", io.StringIO(text))
    assert real.errors[0].column == "external_id"
    assert "outside your book" in real.errors[0].message
    with factory.db.session() as session:
        mine = session.scalar(select(Account).where(Account.external_id == "MINE-1"))
        assert mine.owner_am_id == am.id  # an AM's new account is theirs
        theirs = session.scalar(select(Account).where(Account.external_id == "THEIRS-1"))
        assert theirs.name == "Theirs"


def test_upload_and_download_through_the_api(client, factory: Factory) -> None:
    admin = factory.user("admin")
    headers = factory.headers(admin)
    text, bad = salesforce_file(30, factory.user("am").email)
    response = client.post(
        "/api/v1/imports/accounts",
        files={"file": ("accounts.csv", text.encode(), "text/csv")},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 30 - len(bad), response.json()["errors"][:3]
    errors = client.post(
        "/api/v1/imports/accounts?report=csv",
        files={"file": ("accounts.csv", text.encode(), "text/csv")},
        headers=headers,
    )
    assert errors.text.splitlines()[1].startswith(f"{min(bad)},Segment,galactic,")
    exported = client.get("/api/v1/exports/accounts?format=salesforce", headers=headers)
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[0].startswith("Account ID,Account Name,Website")
    again = client.post(
        "/api/v1/imports/accounts",
        files={"file": ("accounts.csv", exported.text.encode(), "text/csv")},
        headers=headers,
    )
    assert again.json()["unchanged"] == 30 - len(bad) and again.json()["failed"] == 0

    unknown = client.post(
        "/api/v1/imports/planets",
        files={"file": ("p.csv", b"a,b\n1,2\n", "text/csv")},
        headers=headers,
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "kind"
    no_key = client.post(
        "/api/v1/imports/accounts",
        files={"file": ("p.csv", b"name,segment\nA,smb\n", "text/csv")},
        headers=headers,
    )
    assert no_key.status_code == 422 and no_key.json()["errors"][0]["field"] == "file"
