"""Imports keep what the file says (issue 19, defects 1 and 3–6): Steward's own headers, the
CRMs' default values, bad numbers as row errors, dry runs that see the whole file, duplicate
ids reported, and exports that no spreadsheet runs as formulas."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from steward.accounts.models import Account
from steward.contracts.models import Contract, LineItem
from steward.core.audit import AuditEvent
from steward.core.principal import Principal
from steward.imports import columns
from steward.imports.service import export_csv, import_csv
from tests.factories import Factory


def test_no_two_fields_share_a_header() -> None:
    """Headers match after normalising; two fields answering to one header would swap data."""
    kinds = [getattr(columns, n) for n in dir(columns) if n.endswith("_COLUMNS")]
    assert len(kinds) >= 5
    for kind in kinds:
        owner: dict[str, str] = {}
        for column in kind:
            for header in column.headers():
                assert owner.setdefault(header, column.field) == column.field, header


def test_stewards_own_contract_headers_keep_the_exclusive_end_date(factory: Factory) -> None:
    am = factory.user("am")
    factory.account(external_id="ACME", owner_am_id=am.id)
    factory.product(sku="SEAT", list_price_minor=120_000)
    text = (
        "contract_external_id,account_external_id,start_date,end_date,currency,product_sku,"
        "quantity,unit_price,billing_period\n"
        "K-1,ACME,2026-01-01,2027-01-01,USD,SEAT,10,1200.00,annual\n"
    )
    report = import_csv(factory.db, Principal.of(am), "contracts", io.StringIO(text))
    assert (report.created, report.errors) == (1, [])
    with factory.db.session() as session:
        contract = session.scalar(select(Contract).where(Contract.external_id == "K-1"))
        assert contract.end_date == date(2027, 1, 1)
        item = session.scalar(select(LineItem).where(LineItem.contract_id == contract.id))
        assert (item.start_date, item.end_date) == (date(2026, 1, 1), date(2027, 1, 1))


@pytest.mark.parametrize("employees", ["-5", "inf", "1e400", "nan", "12abc", "3.5", "-0.1"])
def test_a_bad_employee_count_is_a_row_error_and_the_rest_imports(
    factory: Factory, employees: str
) -> None:
    admin = Principal.of(factory.user("admin"))
    rows = ["external_id,name,employees"]
    rows += [f"E-{n},Company {n},{employees if n == 3 else 50}" for n in range(1200)]
    report = import_csv(factory.db, admin, "accounts", io.StringIO("\n".join(rows) + "\n"))
    assert report.created == 1199
    assert [(e.line, e.column, e.value) for e in report.errors] == [(5, "employees", employees)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(employees=st.text(max_size=12))
def test_any_employee_cell_imports_or_is_a_row_error(factory: Factory, employees: str) -> None:
    admin = Principal.of(factory.user("admin"))
    out = io.StringIO()
    csv.writer(out).writerows([["external_id", "name", "employees"], ["H-1", "Hypo", employees]])
    report = import_csv(factory.db, admin, "accounts", io.StringIO(out.getvalue()), dry_run=True)
    assert report.created + report.unchanged + report.failed == 1


def test_hubspot_lifecycle_labels_and_salesforce_types_import(factory: Factory) -> None:
    admin = Principal.of(factory.user("admin"))
    hubspot = [
        "Subscriber",
        "Lead",
        "Marketing Qualified Lead",
        "Sales Qualified Lead",
        "Opportunity",
        "Customer",
        "Evangelist",
        "Other",
    ]
    salesforce = [
        "Prospect",
        "Customer - Direct",
        "Customer - Channel",
        "Channel Partner / Reseller",
        "Installation Partner",
        "Technology Partner",
        "Other",
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Record ID", "Company name", "Number of Employees", "Lifecycle Stage"])
    for n, label in enumerate(hubspot):
        writer.writerow([f"HS-{n}", f"Hub {n}", "250", label])
    report = import_csv(factory.db, admin, "accounts", io.StringIO(out.getvalue()))
    assert (report.created, report.errors) == (len(hubspot), [])

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Account ID", "Account Name", "Employees", "Type"])
    for n, label in enumerate(salesforce):
        writer.writerow([f"SF-{n}", f"Force {n}", "5000", label])
    report = import_csv(factory.db, admin, "accounts", io.StringIO(out.getvalue()))
    assert (report.created, report.errors) == (len(salesforce), [])
    with factory.db.session() as session:
        stages = dict(session.execute(select(Account.external_id, Account.lifecycle_stage)).all())
    assert stages["HS-2"] == stages["HS-0"] == stages["SF-0"] == "prospect"
    assert stages["HS-5"] == stages["SF-1"] == stages["SF-2"] == "adopting"
    assert stages["SF-3"] == "prospect"  # a partner is no paying customer


# The Account object of Salesforce's weekly Data Export (Setup → Data Export): API names.
SALESFORCE_DATA_EXPORT = (
    '"Id","IsDeleted","MasterRecordId","Name","Type","ParentId","BillingStreet","BillingCity",'
    '"BillingState","BillingPostalCode","BillingCountry","Phone","Website","Industry",'
    '"AnnualRevenue","NumberOfEmployees","OwnerId","CreatedDate","CreatedById",'
    '"LastModifiedDate"\n'
    '"0015g00000ABCDEAA1","false","","Edge Communications","Customer - Direct","",'
    '"312 Constitution Place","Austin","TX","78767","USA","(512) 757-6000",'
    '"http://edgecomm.com","Electronics","139000000","1000","0055g00000XYZAAA1",'
    '"2024-03-01T10:00:00.000Z","0055g00000XYZAAA1","2024-03-01T10:00:00.000Z"\n'
    '"0015g00000ABCDEAA2","false","","Edge Communications EMEA","Customer - Channel",'
    '"0015g00000ABCDEAA1","","London","","","UK","","","Electronics","","",'
    '"0055g00000XYZAAA1","2024-03-01T10:00:00.000Z","0055g00000XYZAAA1",'
    '"2024-03-01T10:00:00.000Z"\n'
    '"0015g00000ABCDEAA3","false","","United Oil & Gas","Other","","","","","","","",'
    '"","Energy","","120","0055g00000XYZAAA1","2024-03-01T10:00:00.000Z",'
    '"0055g00000XYZAAA1","2024-03-01T10:00:00.000Z"\n'
)


def test_a_raw_salesforce_data_export_imports_with_its_hierarchy(factory: Factory) -> None:
    admin = Principal.of(factory.user("admin"))
    report = import_csv(factory.db, admin, "accounts", io.StringIO(SALESFORCE_DATA_EXPORT))
    assert (report.created, report.errors) == (3, [])
    assert "OwnerId" in report.ignored_columns  # a Salesforce user id names no Steward user
    with factory.db.session() as session:
        rows = {
            a.external_id: a
            for a in session.scalars(select(Account).where(Account.external_id.like("0015%")))
        }
    parent = rows["0015g00000ABCDEAA1"]
    assert (parent.segment, parent.domain) == ("enterprise", "edgecomm.com")
    # No size in the row: the account still imports (segment to be set), it is not refused.
    assert rows["0015g00000ABCDEAA2"].parent_id == parent.id
    assert rows["0015g00000ABCDEAA3"].segment == "mid_market"


def test_a_row_without_any_size_names_a_column_of_the_file(factory: Factory) -> None:
    admin = Principal.of(factory.user("admin"))
    report = import_csv(
        factory.db, admin, "accounts", io.StringIO("Id,Name,Segment\nX-1,No Size,\n")
    )
    # A blank size imports with the documented default rather than naming a missing column.
    assert (report.created, report.errors) == (1, [])


def test_dry_run_sees_parents_created_earlier_in_the_file(factory: Factory) -> None:
    admin = Principal.of(factory.user("admin"))
    rows = ["external_id,name,segment,parent_external_id"]
    rows += [f"P-{n},Parent {n},smb," for n in range(600)]
    rows += [f"C-{n},Child {n},smb,P-{n}" for n in range(600)]
    text = "\n".join(rows) + "\n"
    dry = import_csv(factory.db, admin, "accounts", io.StringIO(text), dry_run=True)
    assert dry.errors == []
    assert (dry.created, dry.updated) == (1200, 600)
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 0
    real = import_csv(factory.db, admin, "accounts", io.StringIO(text))
    assert (real.created, real.updated, real.errors) == (dry.created, dry.updated, dry.errors)


def test_duplicate_external_ids_in_one_file_are_reported_and_reimport_changes_nothing(
    factory: Factory,
) -> None:
    admin = Principal.of(factory.user("admin"))
    text = "external_id,name,segment\nD-1,First,smb\nD-2,Other,smb\nD-1,Second,enterprise\n"
    first = import_csv(factory.db, admin, "accounts", io.StringIO(text))
    assert first.created == 2
    assert [(e.line, e.column, e.value) for e in first.errors] == [(4, "external_id", "D-1")]
    assert "line 2" in first.errors[0].message
    with factory.db.session() as session:
        audits = session.scalar(select(func.count()).select_from(AuditEvent))
        assert session.scalar(select(Account.name).where(Account.external_id == "D-1")) == "First"
    again = import_csv(factory.db, admin, "accounts", io.StringIO(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == audits


FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", '=HYPERLINK("x")']


def test_exports_and_error_reports_neutralise_formulas_and_reimport_unchanged(
    factory: Factory,
) -> None:
    admin_user = factory.user("admin")
    admin = Principal.of(admin_user)
    for n, name in enumerate(FORMULAS):
        factory.account(external_id=f"F-{n}", name=name, industry=name)
    out = io.StringIO()
    export_csv(factory.db, admin, "accounts", out)
    cells = [cell for row in csv.reader(io.StringIO(out.getvalue())) for cell in row]
    assert cells, "the export wrote nothing"
    assert not [c for c in cells if c and c[0] in "=+-@\t\r"]
    again = import_csv(factory.db, admin, "accounts", io.StringIO(out.getvalue()))
    assert again.errors == [] and (again.created, again.updated) == (0, 0)
    assert again.unchanged == len(FORMULAS)

    bad = import_csv(
        factory.db,
        admin,
        "accounts",
        io.StringIO('external_id,name,segment\n=EVIL(),x,-bad\n@x,"\tx",smb\n"\ry",y,+z\n'),
    )
    report = list(csv.reader(io.StringIO(bad.errors_csv())))
    assert report[1][2] and not [c for row in report for c in row if c and c[0] in "=+-@\t\r"]


def test_a_follow_on_contract_imported_by_csv_is_linked_as_the_renewal(
    factory: Factory,
) -> None:
    am = factory.user("am")
    factory.account(external_id="ACME", owner_am_id=am.id)
    factory.product(sku="SEAT", list_price_minor=120_000)
    text = (
        "contract_external_id,account_external_id,start_date,end_date,product_sku,quantity\n"
        "K-1,ACME,2025-01-01,2026-01-01,SEAT,10\n"
        "K-2,ACME,2026-01-10,2027-01-10,SEAT,12\n"
        "K-3,ACME,2026-06-01,2026-09-01,SEAT,1\n"  # a cross-sell mid-term: renews nothing
    )
    report = import_csv(factory.db, Principal.of(am), "contracts", io.StringIO(text))
    assert (report.created, report.errors) == (3, [])
    with factory.db.session() as session:
        ids = dict(session.execute(select(Contract.external_id, Contract.id)).all())
        links = dict(session.execute(select(Contract.external_id, Contract.renewal_of_id)).all())
    assert links == {"K-1": None, "K-2": ids["K-1"], "K-3": None}
