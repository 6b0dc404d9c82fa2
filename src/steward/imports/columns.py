"""Which CSV headers mean which field: Steward's own, and those of Salesforce and HubSpot
exports (docs/import-export.md lists them). Headers match case- and punctuation-insensitively."""

from __future__ import annotations

import re
from dataclasses import dataclass


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


@dataclass(frozen=True)
class Column:
    field: str
    steward: str  # the header Steward writes
    salesforce: str  # the header of a Salesforce report/Data Loader export
    hubspot: str  # the header of a HubSpot export
    also: tuple[str, ...] = ()  # other headers seen in the wild

    def headers(self) -> set[str]:
        return {
            normalise_header(h)
            for h in (self.steward, self.salesforce, self.hubspot, *self.also)
            if h
        }


ACCOUNT_COLUMNS: tuple[Column, ...] = (
    Column("external_id", "external_id", "Account ID", "Record ID", ("Id", "Company ID")),
    Column("name", "name", "Account Name", "Company name", ("Name",)),
    Column("domain", "domain", "Website", "Company Domain Name", ("Domain",)),
    Column("industry", "industry", "Industry", "Industry"),
    Column("segment", "segment", "Segment", "Segment", ("Customer Segment",)),
    Column("employees", "employees", "Employees", "Number of Employees", ("NumberOfEmployees",)),
    Column("tier", "tier", "Tier", "Tier", ("Account Tier",)),
    Column("lifecycle_stage", "lifecycle_stage", "Type", "Lifecycle Stage"),
    Column(
        "parent_external_id",
        "parent_external_id",
        "Parent Account ID",
        "Parent Company ID",
        ("Parent ID", "ParentId"),
    ),
    Column(
        "owner",
        "owner_email",
        "Account Owner Email",
        "Company owner",
        ("Account Owner", "Owner Email", "Owner"),
    ),
    Column("csm", "csm_email", "CSM Email", "Customer Success Manager", ("CSM",)),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("external_id", "external_id", "Contact ID", "Record ID", ("Id",)),
    Column(
        "account_external_id",
        "account_external_id",
        "Account ID",
        "Associated Company ID",
        (
            "Company ID",
            "Primary Associated Company ID",
            "Associated Company IDs (Primary)",
            "AccountId",
        ),
    ),
    Column("first_name", "first_name", "First Name", "First Name", ("FirstName",)),
    Column("last_name", "last_name", "Last Name", "Last Name", ("LastName",)),
    Column("email", "email", "Email", "Email", ("Email Address",)),
    Column("phone", "phone", "Phone", "Phone Number", ("Mobile", "Mobile Phone")),
    Column("title", "title", "Title", "Job Title"),
    Column("deal_role", "deal_role", "Contact Role", "Buying Role", ("Role",)),
    Column("sentiment", "sentiment", "Sentiment", "Sentiment"),
)

OPPORTUNITY_COLUMNS: tuple[Column, ...] = (
    Column("external_id", "external_id", "Opportunity ID", "Record ID", ("Deal ID", "Id")),
    Column(
        "account_external_id",
        "account_external_id",
        "Account ID",
        "Associated Company ID",
        (
            "Company ID",
            "Primary Associated Company ID",
            "Associated Company IDs (Primary)",
            "AccountId",
        ),
    ),
    Column("name", "name", "Opportunity Name", "Deal Name", ("Name",)),
    Column("type", "type", "Type", "Deal Type"),
    Column("stage", "stage", "Stage", "Deal Stage", ("StageName",)),
    Column("amount", "amount", "Amount", "Amount"),
    Column("close_date", "close_date", "Close Date", "Close Date", ("CloseDate",)),
    Column("probability", "probability", "Probability (%)", "", ("Probability",)),
    Column(
        "forecast_category",
        "forecast_category",
        "Forecast Category",
        "Forecast category",
        ("ForecastCategoryName",),
    ),
    Column(
        "owner",
        "owner_email",
        "Opportunity Owner Email",
        "Deal owner",
        ("Owner Email", "Opportunity Owner"),
    ),
    Column(
        "close_reason", "close_reason", "Loss Reason", "Closed Lost Reason", ("Closed Won Reason",)
    ),
)

# One row per line item, the contract's columns repeated. Salesforce's Contract End Date is
# the last day covered (inclusive); Steward's end_date is the first day no longer covered.
CONTRACT_COLUMNS: tuple[Column, ...] = (
    Column(
        "contract_external_id",
        "contract_external_id",
        "Contract Number",
        "",
        ("Contract ID", "ContractNumber"),
    ),
    Column(
        "account_external_id",
        "account_external_id",
        "Account ID",
        "Associated Company ID",
        ("Company ID", "AccountId"),
    ),
    Column("name", "contract_name", "Contract Name", ""),
    Column("start_date", "start_date", "Contract Start Date", "", ("Start Date", "StartDate")),
    # No plain "End Date" alias: it normalises like Steward's exclusive end_date header, and a
    # person writing it means the last day covered. Salesforce's API name EndDate is inclusive.
    Column("end_date", "end_date", "", ""),
    Column("end_date_inclusive", "", "Contract End Date", "", ("EndDate",)),
    Column(
        "currency",
        "currency",
        "Contract Currency",
        "Currency",
        ("Currency ISO Code", "CurrencyIsoCode"),
    ),
    Column("auto_renew", "auto_renew", "Auto Renew", ""),
    Column("product_sku", "product_sku", "Product Code", "SKU"),
    Column("quantity", "quantity", "Quantity", "Quantity"),
    Column("unit_price", "unit_price", "Sales Price", "Unit price", ("Unit Price",)),
    Column("billing_period", "billing_period", "Billing Frequency", "Billing frequency"),
    Column("discount_pct", "discount_pct", "Discount", "Unit discount", ("Discount (%)",)),
    Column("item_start_date", "item_start_date", "Service Date", ""),
    Column("item_end_date", "item_end_date", "", ""),
)

# Salesforce's DatedConversionRate export: IsoCode, StartDate, ConversionRate (which counts
# units of the currency per unit of the corporate currency: the inverse of Steward's rate).
RATE_COLUMNS: tuple[Column, ...] = (
    Column("currency", "currency", "IsoCode", "currency", ("Currency ISO Code",)),
    Column("month", "month", "StartDate", "month", ("Start Date",)),
    Column("rate", "rate", "", "rate", ("Exchange Rate",)),
    Column("inverse_rate", "", "ConversionRate", "", ("Conversion Rate",)),
)
FORMATS = ("steward", "salesforce", "hubspot")


def _check_no_collisions(*kinds: tuple[Column, ...]) -> None:
    """Headers match after normalising, so two fields answering to one header would read one
    field's values as the other's (end_date, exclusive, was once read as "End Date", inclusive):
    refuse such a table when the module loads."""
    for kind in kinds:
        owner: dict[str, str] = {}
        for column in kind:
            for header in column.headers():
                if owner.setdefault(header, column.field) != column.field:
                    raise RuntimeError(
                        f"import header {header!r} names both {owner[header]} and {column.field}"
                    )


_check_no_collisions(
    ACCOUNT_COLUMNS, CONTACT_COLUMNS, OPPORTUNITY_COLUMNS, CONTRACT_COLUMNS, RATE_COLUMNS
)


def resolve_headers(
    kind_columns: tuple[Column, ...], headers: list[str]
) -> tuple[dict[str, int], list[str]]:
    """field → column index, and the headers nobody reads (reported, not an error)."""
    lookup = {h: c.field for c in kind_columns for h in c.headers()}
    found: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        field = lookup.get(normalise_header(header))
        if field is None or field in found:
            ignored.append(header)
        else:
            found[field] = index
    return found, ignored
