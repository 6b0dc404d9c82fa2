"""Health in a real browser: the Account 360 panel (band, components, charts, an override
set and ended by a CSM), the admins' scorecard editor with its dry-run, and usage sources."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.web.conftest import login, shot

pytestmark = pytest.mark.browser


def _client(base: str, email: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/api/v1/auth/token", json={"email": email, "password": "steward-demo"}
    ).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_account_health_panel_and_an_override(live_server, page) -> None:  # type: ignore[no-untyped-def]
    api = _client(live_server, "csm@example.com")
    scored = api.get("/api/v1/accounts?scope=mine&sort=health&limit=50").json()["items"]
    account = next(a for a in scored if a["health_band"] is not None)
    health = api.get(f"/api/v1/accounts/{account['id']}/health").json()
    assert len(health["history"]) > 1  # the demo scores the last twelve weeks too

    login(page, live_server, "csm@example.com")
    page.goto(f"{live_server}/accounts/{account['id']}")
    page.wait_for_selector("body[data-charts-ready=true]")
    panel = page.locator("[data-testid=health]")
    assert panel.locator("[data-testid=health-band]").inner_text().lower() == health["band"]
    rows = panel.locator("[data-testid=health-components] tbody tr")
    assert rows.count() == len(health["current"]["components"])
    explanation = panel.locator("[data-testid=health-explanation]").inner_text()
    assert explanation.lower().startswith(health["current"]["band"] + " because")
    drawn = page.evaluate(
        "['health-trend-chart','active-users-chart','utilisation-chart','adoption-chart']"
        ".filter(id => document.getElementById(id) && Chart.getChart(document.getElementById(id)))"
        ".length"
    )
    assert drawn >= 2

    other = next(b for b in ("red", "yellow", "green") if b != health["current"]["band"])
    panel.locator("summary", has_text="Override the band").click()
    panel.locator("select[name=band]").select_option(other)
    panel.locator("input[name=reason]").fill("Champion resigned last week; renewal at risk")
    panel.locator("button", has_text="Set override").click()
    page.wait_for_selector("[data-testid=health-override]")
    override = page.locator("[data-testid=health-override]").inner_text()
    assert "Champion resigned" in override
    assert page.locator("[data-testid=health-band]").inner_text().lower() == other
    after = api.get(f"/api/v1/accounts/{account['id']}/health").json()
    assert after["override"]["band"] == other and after["band"] == other
    assert after["current"]["band"] == health["current"]["band"]  # computed stays beside it
    shot(page, "account-health")

    page.locator("summary", has_text="Change the override").click()
    page.locator("[data-testid=end-override]").click()
    page.wait_for_selector("[data-testid=health-explanation]")
    assert page.locator("[data-testid=health-override]").count() == 0
    assert api.get(f"/api/v1/accounts/{account['id']}/health").json()["override"] is None


def _cards(api: httpx.Client) -> list[dict[str, Any]]:
    return api.get("/api/v1/health/scorecards").json()  # type: ignore[no-any-return]


def test_scorecard_editor_versions_dry_run_and_publish(live_server, page) -> None:  # type: ignore[no-untyped-def]
    api = _client(live_server, "admin@example.com")
    published = next(c for c in _cards(api) if c["status"] == "published" and not c["segment"])
    login(page, live_server, "admin@example.com")
    page.click("nav >> text=Admin")
    page.click(".admin-tabs >> text=Health scorecards")
    page.wait_for_selector(f"[data-testid=card-{published['key']}]")
    page.goto(f"{live_server}/admin/scorecards/{published['id']}")
    assert page.locator("fieldset[disabled]").count() == 1  # a published version is read-only
    page.click("[data-testid=new-version]")
    page.wait_for_selector("[data-testid=publish]")
    draft = next(c for c in _cards(api) if c["status"] == "draft")
    assert draft["version"] == published["version"] + 1 and page.url.endswith(f"/{draft['id']}")

    # A bad band order is refused, naming the field, and nothing is saved.
    page.fill("input[name=green]", "30")
    page.click("[data-testid=dry-run]")
    page.wait_for_selector("[data-testid=form-errors]")
    assert "yellow must be below green" in page.locator(".field-error").first.inner_text()
    assert (
        api.get(f"/api/v1/health/scorecards/{draft['id']}").json()["definition"]["bands"]["green"]
        == published["definition"]["bands"]["green"]
    )

    page.fill("input[name=green]", "75")
    page.fill("input[name=weight_0]", "0.5")
    page.click("[data-testid=dry-run]")
    page.wait_for_selector("[data-testid=dry-run-result]")
    saved = api.get(f"/api/v1/health/scorecards/{draft['id']}").json()["definition"]
    assert saved["bands"]["green"] == 75 and saved["components"][0]["weight"] == 0.5
    expected = api.post(f"/api/v1/health/scorecards/{draft['id']}/dry-run").json()
    summary = page.locator("[data-testid=dry-run-summary]").inner_text()
    assert f"Of {expected['churned']['accounts']} accounts that churned" in summary
    assert f"shown {expected['churned']['red']} red" in summary
    assert expected["published_churned"] is not None
    shot(page, "scorecard-dry-run")

    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=new-version]")
    statuses = {c["version"]: c["status"] for c in _cards(api) if c["key"] == published["key"]}
    assert statuses[draft["version"]] == "published"
    assert statuses[published["version"]] == "retired"


def test_usage_sources_page_creates_and_revokes_a_write_key(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/admin/sources")
    page.fill("input[name=name]", "Mobile app")
    page.click("text=Create write key")
    key = page.locator("[data-testid=write-key]").inner_text()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    event = {"type": "track", "event": "Login", "userId": "u1", "messageId": "src-page-1"}
    sent = httpx.post(f"{live_server}/v1/batch", json={"batch": [event]}, headers=auth)
    assert sent.status_code == 200
    page.goto(f"{live_server}/admin/sources")
    row = page.locator("[data-testid=sources] tr", has_text="Mobile app")
    assert "1" in row.locator("td.num").inner_text()
    assert page.locator("[data-testid=write-key]").count() == 0  # shown once only
    shot(page, "usage-sources")
    page.on("dialog", lambda dialog: dialog.accept())
    row.locator("button", has_text="Revoke key").click()
    page.wait_for_selector("[data-testid=sources] tr:has-text('Mobile app') .chip.danger")
    refused = httpx.post(f"{live_server}/v1/batch", json={"batch": [event]}, headers=auth)
    assert refused.status_code == 401


def test_the_scorecard_assistant_proposes_a_draft_with_its_evidence(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    """An admin asks for a card learned from history: the draft comes with the evidence for
    each measure and its dry-run beside the published card's, and is edited like any draft.
    On a 390 px phone the page does not overflow."""
    api = _client(live_server, "admin@example.com")
    for width, name in [(1400, "scorecard-assistant"), (390, "phone-scorecard-assistant")]:
        context = browser.new_context(
            viewport={"width": width, "height": 900}, is_mobile=width < 500
        )
        page = context.new_page()
        login(page, live_server, "admin@example.com")
        page.goto(f"{live_server}/admin/scorecards")
        form = page.locator("[data-testid=propose]")
        form.locator("input[name=name]").fill(f"Learned {width}")
        form.locator("select[name=churned_within_days]").select_option("1095")
        form.locator("[data-testid=propose-button]").click()
        page.wait_for_selector("[data-testid=proposal-evidence]")
        draft = next(c for c in _cards(api) if c["name"] == f"Learned {width}")
        assert draft["status"] == "draft" and page.url.endswith("/admin/scorecards/propose")
        evidence = page.locator("[data-testid=proposal-evidence]")
        assert evidence.locator("[data-testid=evidence-usage_trend]").count() == 1
        kept = [c["measure"] for c in draft["definition"]["components"]]
        for measure in kept:
            row = evidence.locator(f"[data-testid=evidence-{measure}]").inner_text()
            assert "kept" in row
        # The dry-run shown is the draft's, on the same history, beside the published card.
        expected = api.post(
            f"/api/v1/health/scorecards/{draft['id']}/dry-run?churned_within_days=1095"
        ).json()
        summary = page.locator("[data-testid=dry-run-summary]").inner_text()
        assert f"Of {expected['churned']['accounts']} accounts that churned" in summary
        assert f"shown {expected['churned']['red']} red" in summary
        assert f"(the published card: {expected['published_churned']['red']})" in summary
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, name)
        # Edited like any draft.
        page.fill("input[name=weight_0]", "42")
        page.click("[data-testid=dry-run]")
        page.wait_for_selector("[data-testid=dry-run-result]")
        saved = api.get(f"/api/v1/health/scorecards/{draft['id']}").json()["definition"]
        assert saved["components"][0]["weight"] == 42
        api.delete(f"/api/v1/health/scorecards/{draft['id']}")
        context.close()
