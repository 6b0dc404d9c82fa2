"""Custom fields and segments on the pages (issue 25): the admin declares a field, the account
form sets it, Account 360 shows it, My Book filters, sorts and saves a view by it."""

from __future__ import annotations

from typing import Any

from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in


def test_declare_set_show_filter_and_save_a_view(client: Any, factory: Factory) -> None:
    admin, am = factory.user("admin"), factory.user("am")
    team = factory.team()
    with factory.db.session() as session:
        from steward.users.models import User

        session.get(User, am.id).team_id = team.id  # type: ignore[union-attr]
    csrf = _sign_in(client, admin.email)
    added = client.post(
        "/admin/fields",
        data={
            "csrf_token": csrf,
            "entity": "account",
            "label": "Region",
            "key": "region",
            "type": "picklist",
            "options": "EMEA\nAMER, APAC",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    bad = client.post(
        "/admin/fields",
        data={
            "csrf_token": csrf,
            "entity": "account",
            "label": "Bad",
            "key": "Bad Key",
            "type": "text",
        },
    )
    assert bad.status_code == 422 and "Bad Key" in bad.text
    client.post(
        "/admin/fields",
        data={
            "csrf_token": csrf,
            "entity": "account",
            "label": "Seats",
            "key": "seats",
            "type": "number",
        },
    )
    page = client.get("/admin/fields").text
    assert "EMEA, AMER, APAC" in page and "key: seats" in page
    dry = client.post(
        "/admin/fields-file",
        data={"csrf_token": csrf, "action": "dry_run", "yaml": "custom_fields: []\n"},
    )
    assert dry.status_code == 200 and "archived (0 values kept)" in dry.text
    assert "EMEA, AMER, APAC" in client.get("/admin/fields").text  # the dry run wrote nothing
    client.post("/logout", data={"csrf_token": csrf})

    csrf = _sign_in(client, am.email)
    form = {
        "csrf_token": csrf,
        "name": "Fjord AS",
        "segment": "smb",
        "tier": "standard",
        "lifecycle_stage": "onboarding",
        "owner_am_id": str(am.id),
    }
    refused = client.post("/accounts/new", data={**form, "cf.seats": "lots"})
    assert refused.status_code == 422 and "not a number" in refused.text
    assert 'value="lots"' in refused.text  # what was typed stays
    made = client.post(
        "/accounts/new",
        data={**form, "cf.region": "EMEA", "cf.seats": "40"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    account_url = made.headers["location"]
    other = client.post(
        "/accounts/new",
        data={**form, "name": "Andes SA", "cf.region": "AMER", "cf.seats": "900"},
        follow_redirects=False,
    )
    assert other.status_code == 303
    shown = client.get(account_url).text
    assert "account-custom-fields" in shown and "EMEA" in shown

    # Edit: clearing an input clears the value.
    edit = client.get(f"{account_url}/edit").text
    version = edit.split('name="version" value="')[1].split('"')[0]
    cleared = client.post(
        f"{account_url}/edit",
        data={**form, "version": version, "cf.region": "EMEA", "cf.seats": ""},
        follow_redirects=False,
    )
    assert cleared.status_code == 303, cleared.text
    assert client.get(
        f"/api/v1/accounts/{account_url.rsplit('/', 1)[1]}", headers=factory.headers(am)
    ).json()["custom_fields"] == {"region": "EMEA", "seats": None}

    book = client.get("/book?cf.region=EMEA").text
    assert "Fjord AS" in book and "Andes SA" not in book
    ranged = client.get("/book?cf.seats__gte=100&sort=-cf.seats").text
    assert "Andes SA" in ranged and "Fjord AS" not in ranged
    assert client.get("/book?cf.nope=1").status_code == 422

    saved = client.post(
        "/book/segments",
        data={"csrf_token": csrf, "name": "EMEA book", "cf.region": "EMEA", "share": "on"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].startswith("/book?cf.region=EMEA&view=")
    segment_id = int(saved.headers["location"].rsplit("=", 1)[1])
    segment = client.get(f"/api/v1/segments/{segment_id}", headers=factory.headers(am)).json()
    assert segment["team_id"] == team.id and segment["custom_fields"] == {"region": "EMEA"}
    opened = client.get(f"/book?view={segment_id}&open=1", follow_redirects=False)
    assert opened.headers["location"] == saved.headers["location"]
    view = client.get(opened.headers["location"]).text
    assert "Fjord AS" in view and "Andes SA" not in view and "EMEA book" in view
