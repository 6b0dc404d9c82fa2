"""Customer-success pages in a real browser: My Day, escalations, plans, onboarding, surveys,
notifications, and the admin's rules (dry-run, editor, YAML import) and outbox."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import login, shot

pytestmark = pytest.mark.browser


def _first_account(page, base: str, query: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/book?{query}")
    link = page.locator("[data-testid=book] tbody tr a").first
    href = link.get_attribute("href")
    assert href and href.startswith("/accounts/")
    return href


def test_my_day_lists_the_ams_work_and_a_task_can_be_done(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.click("nav >> text=My Day")
    page.wait_for_url(f"{live_server}/today")
    for section in (
        "Tasks due",
        "Check-ins due",
        "Escalations",
        "Renewals this month",
        "Milestones this week",
        "Red accounts",
        "Notifications",
    ):
        assert page.locator(f"h2:has-text('{section}')").count() == 1, section
    shot(page, "my-day")
    tasks = page.locator("#day-tasks li form")
    before = tasks.count()
    if before:
        titles = page.locator("#day-tasks li strong")
        title = titles.first.inner_text()
        same = [t.inner_text() for t in titles.all()].count(title)
        tasks.first.locator("button").click()
        page.wait_for_url(f"{live_server}/today")
        assert page.locator("#day-tasks li form").count() == before - 1
        assert [t.inner_text() for t in titles.all()].count(title) == same - 1
    # Check-ins are overdue by their tier's cadence, most overdue first.
    late = [
        int(re.search(r"(\d+) d late", t).group(1))
        for t in page.locator("#day-checkins .right span").all_inner_texts()
    ]
    assert late == sorted(late, reverse=True)


def test_an_escalation_is_opened_and_cannot_be_resolved_without_a_resolution(
    live_server, page
) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    account = _first_account(page, live_server, "")
    page.goto(f"{live_server}{account}")
    page.click(".actions >> text=Escalate")
    page.fill("input[name=title]", "Exports <b>fail</b> for EU tenants")
    page.select_option("select[name=severity]", "p1")
    page.select_option("select[name=team]", "engineering")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server}{account}")
    card = page.locator("#account-escalations")
    assert "Exports <b>fail</b> for EU tenants" in card.inner_text()  # escaped, not markup
    card.locator("a:has-text('Exports')").click()
    page.select_option("select[name=status]", "resolved")
    page.click("button:has-text('Save')")
    assert "say how it was resolved" in page.locator("[role=alert]").first.inner_text()
    page.fill("textarea[name=resolution]", "Hotfix 4.2.1 deployed")
    page.fill("textarea[name=note]", "Confirmed with the client")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=SLA met")
    history = page.locator("#history").inner_text()
    assert "Open → Resolved" in history and "Confirmed with the client" in history
    shot(page, "escalation")
    page.goto(f"{live_server}/escalations?scope=mine&state=all")
    assert "Exports <b>fail</b> for EU tenants" in page.locator("#escalations-table").inner_text()
    shot(page, "escalations")


def test_a_success_plan_is_built_and_progresses(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    account = _first_account(page, live_server, "")
    page.goto(f"{live_server}{account}/success-plans/new")
    page.fill("input[name=title]", "Browser-test plan")
    page.fill("input[name=start_date]", "2027-03-01")
    page.fill("input[name=target_date]", "2027-01-01")
    page.click("button:has-text('Save')")
    assert "must not be before the start date" in page.locator(".field-error").inner_text()
    page.fill("input[name=target_date]", "2027-12-31")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server}{account}")
    page.click("#account-plans >> text=Browser-test plan")
    page.fill("input[name=description]", "Close the books in 3 days")
    page.fill("input[name=success_measure]", "close ≤ 3 days twice")
    page.click("button:has-text('Add outcome')")
    page.fill("input[name=title]", "Data connected")
    page.click("button:has-text('Add milestone')")
    assert page.locator("#milestones-done").inner_text() == "0 / 1"
    page.locator("ul.milestones select[name=status]").select_option("done")
    page.wait_for_function("() => document.querySelector('#milestones-done').innerText === '1 / 1'")
    assert "Close the books in 3 days" in page.locator("#outcomes").inner_text()
    shot(page, "success-plan")


def test_an_account_plan_shows_stakeholders_and_whitespace_and_saves_goals(
    live_server, page
) -> None:  # type: ignore[no-untyped-def]
    # The strategist is on every strategic account (the demo's strategic AM may own none).
    login(page, live_server, "strategist@example.com")
    account = _first_account(page, live_server, "tier=strategic")
    page.goto(f"{live_server}{account}")
    page.click(".actions >> text=Account plan")
    page.wait_for_url(re.compile(r".*/plan$"))
    page.wait_for_selector("#stakeholders li")
    assert page.locator("#stakeholders li").count() > 0
    whitespace = page.locator("#whitespace tbody tr")
    assert whitespace.count() > 0
    page.locator("input[name=goal_title]").last.fill("Land the analytics add-on")
    page.locator("input[name=goal_target_arr]").last.fill("not money")
    page.click("button:has-text('Save plan')")
    assert "target_arr" in page.locator("[role=alert]").inner_text()
    # The rejected form comes back with what was typed, so only the bad figure is fixed.
    titles = page.locator("input[name=goal_title]").evaluate_all("els => els.map(e => e.value)")
    assert "Land the analytics add-on" in titles
    page.locator("input[name=goal_target_arr]").evaluate_all(
        "els => els.forEach(e => { if (e.value === 'not money') e.value = '18000' })"
    )
    page.click("button:has-text('Save plan')")
    page.wait_for_selector("text=saved today")
    titles = page.locator("input[name=goal_title]").evaluate_all("els => els.map(e => e.value)")
    assert "Land the analytics add-on" in titles
    shot(page, "account-plan")


def test_onboarding_shows_time_to_value_and_a_project(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.click("nav >> text=Onboarding")
    page.locator(".segmented label", has_text=re.compile(r"^\s*All\s*$")).click()
    page.wait_for_url(re.compile(r".*/onboarding\?.*status=(&|$)"))
    assert re.match(r"(\d+ days|—)", page.locator("#median-ttv").inner_text())
    shot(page, "onboarding")
    page.locator("#projects tbody a").first.click()
    # count() does not wait: wait for the project page before reading its milestones.
    page.wait_for_url(re.compile(r".*/onboarding/\d+$"))
    page.wait_for_selector("ul.milestones li")
    assert page.locator("ul.milestones li").count() >= 1
    assert page.locator("text=First value").count() >= 1
    shot(page, "onboarding-project")


def test_survey_results_and_sending_a_survey(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.click("nav >> text=Surveys")
    assert re.match(r"[+−-]?\d+", page.locator("#overall-score").inner_text())
    page.click("text=Owner")
    page.wait_for_url(re.compile(r".*by=owner.*"))
    assert page.locator("#results-table tbody tr").count() >= 1
    shot(page, "survey-results")
    account = _first_account(page, live_server, "")
    page.goto(f"{live_server}{account}/surveys/new")
    page.click("button:has-text('Send')")
    page.wait_for_selector("[role=alert]")
    assert page.locator("[role=alert]").count() == 1  # no contact chosen
    page.locator("input[name=contact_ids]:not([disabled])").first.check()
    page.click("button:has-text('Send')")
    assert re.search(r"to 1 contact", page.locator("#send-result").inner_text())


def test_admin_dry_runs_edits_and_imports_rules(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "admin@example.com")
    page.click("nav >> text=Admin")
    page.wait_for_url(f"{live_server}/admin/rules")
    assert page.locator("#rules tbody tr").count() >= 5
    shot(page, "admin-rules")
    page.locator("#rules tbody a").first.click()
    page.click("#dry-run")
    page.wait_for_selector("#dry-run-result")
    assert "nothing was written" in page.locator("#dry-run-result").inner_text()
    shot(page, "admin-rule")
    original = page.locator("textarea[name=spec]").input_value()
    page.fill("textarea[name=spec]", original.replace("type: ", "type: not_a_", 1))
    page.click("button:has-text('Save')")
    assert "trigger" in page.locator("#rule-error").inner_text()
    # The YAML bundle round-trips: a dry-run import of the export changes nothing.
    exported = page.request.get(f"{live_server}/admin/rules/export.yaml")
    assert exported.ok and "rules:" in exported.text()
    page.goto(f"{live_server}/admin/rules/import")
    page.fill("textarea[name=bundle]", exported.text())
    page.click("button:has-text('Import')")
    result = page.locator("#import-result").inner_text()
    assert "Dry run" in result and "unchanged" in result and "created" not in result
    page.goto(f"{live_server}/admin/outbox")
    assert page.locator("#outbox tbody tr").count() >= 1
    shot(page, "admin-outbox")
    page.goto(f"{live_server}/admin/playbooks/1")
    assert "Treated" in page.locator("#holdout-report").inner_text()


def test_admin_pages_are_refused_to_others(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    for path in ("/admin/rules", "/admin/outbox", "/admin/rules/export.yaml"):
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 403, path


def test_admin_writes_an_onboarding_template_as_yaml(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/admin/rules")
    page.click(".admin-tabs >> text=Onboarding templates")
    text = page.locator("textarea[name=spec]").input_value()
    page.fill("textarea[name=spec]", text.replace("assign_to: csm", "assign_to: ceo", 1))
    page.click("button:has-text('Save')")
    assert "steps.1.assign_to" in page.locator("#template-error").inner_text()
    page.fill("textarea[name=spec]", text.replace("Enterprise onboarding", "Browser enterprise"))
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r".*/admin/onboarding\?edit=\d+"))
    assert "Browser enterprise" in page.locator("#templates").inner_text()
    shot(page, "admin-onboarding-templates")
