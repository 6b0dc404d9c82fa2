"""The access matrix for pages (issue 20): every page route declares who may open it, as the
API does, and behaves so.

- Public pages are listed here with the reason; every other page declares `PageContext`
  (signed in) or `AdminPageContext` (an admin), and every /admin page the latter. A new page
  that declares neither fails until someone decides.
- Signed out, every non-public page (GET and POST) answers the login redirect and writes
  nothing; signed in as an AM, every /admin page answers 403.
- A page about an account outside the reader's book answers what a missing account answers.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from steward.app import assemble
from steward.web.app import admin_page_context, page_context
from tests.factories import PASSWORD, Factory
from tests.support.digests import fingerprint

PUBLIC = {
    "/login": "signing in",
    "/logout": "signing out ends whatever session the cookie names",
    "/": "redirects to /book, which asks for the login",
    "/s/{token}": "a customer answers a survey by its personal link, without a licence",
    # A contact works on a shared success plan by their personal link, without a licence
    # (tests/plans/test_sharing.py holds what the link reaches: its plan, nothing else).
    "/p/{token}": "a contact opens a shared success plan",
    "/p/{token}/milestones/{milestone_id}/done": "a contact marks their milestone done",
    "/p/{token}/comments": "a contact comments on the shared plan",
    "/p/{token}/metrics": "a contact adds a metric of theirs",
    "/p/{token}/metrics/{metric_id}": "a contact updates a metric of theirs",
}
MISSING_ID = 2_000_000_001


def _calls(dependant: Any) -> list[Any]:
    found = []
    for sub in dependant.dependencies:
        found += [sub.call, *_calls(sub)]
    return found


def _page_routes() -> list[tuple[str, APIRoute]]:
    routes = []
    for router in assemble().page_routers:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in sorted(route.methods):
                routes.append((method, route))
    return routes


PAGES = _page_routes()


def _guard(route: APIRoute) -> str:
    calls = _calls(route.dependant)
    if admin_page_context in calls:
        return "admin"
    if page_context in calls:
        return "signed in"
    return "public" if route.path in PUBLIC else "undeclared"


def _rows(factory: Factory) -> dict[str, str]:
    """Every table's digest but the signed-in session's own (its last-seen stamp moves)."""
    digests = fingerprint(factory.db)
    digests.pop("web_sessions", None)
    return digests


def _url(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: "export.yaml" if m[1] == "action" else "1", path)


def test_every_page_declares_who_may_open_it() -> None:
    guards = {f"{method} {route.path}": _guard(route) for method, route in PAGES}
    assert [page for page, guard in guards.items() if guard == "undeclared"] == []
    assert [page for page, guard in guards.items() if " /admin" in page and guard != "admin"] == []
    assert len(guards) > 70  # the pages were found at all (75 on 2026-12-03)


def test_signed_out_every_page_answers_the_login_and_writes_nothing(
    client: Any, factory: Factory
) -> None:
    factory.account()
    before = fingerprint(factory.db)
    for method, route in PAGES:
        if _guard(route) == "public":
            continue
        response = client.request(method, _url(route.path), follow_redirects=False)
        assert response.status_code == 303, f"{method} {route.path}: {response.status_code}"
        assert response.headers["location"].startswith("/login?next="), route.path
    assert fingerprint(factory.db) == before


def test_signed_in_as_an_am_every_admin_page_answers_403(client: Any, factory: Factory) -> None:
    am = factory.user("am")
    signed_in = client.post(
        "/login", data={"email": am.email, "password": PASSWORD}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    before = _rows(factory)
    admin_pages = [(m, r) for m, r in PAGES if _guard(r) == "admin"]
    for method, route in admin_pages:
        response = client.request(method, _url(route.path), follow_redirects=False)
        assert response.status_code == 403, f"{method} {route.path}: {response.status_code}"
        assert "only an admin" in response.text
    assert _rows(factory) == before


@pytest.mark.parametrize(
    "path", sorted({r.path for m, r in PAGES if m == "GET" and "{account_id}" in r.path})
)
def test_an_account_outside_the_book_looks_missing_on_every_page(
    client: Any, factory: Factory, path: str
) -> None:
    am = factory.user("am")
    other = factory.account(owner_am_id=factory.user("am").id)
    client.post("/login", data={"email": am.email, "password": PASSWORD})
    outside = client.get(path.replace("{account_id}", str(other.id)), follow_redirects=False)
    missing = client.get(path.replace("{account_id}", str(MISSING_ID)), follow_redirects=False)
    assert outside.status_code == missing.status_code == 404, path
    assert other.name not in outside.text
