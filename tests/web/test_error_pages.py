"""Pages answer unknown URLs and bad values with HTML error pages inside the navigation; the
API keeps problem+json; /docs works offline (issue 19, defect 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import PASSWORD, Factory


def _sign_in(client, factory: Factory) -> None:  # type: ignore[no-untyped-def]
    user = factory.user("am")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/no-such-page", 404, "Page not found"),
        ("/accounts/not-a-number", 422, "account_id"),
        ("/accounts/99999999999999", 422, "account_id"),
        ("/accounts/2000000000", 404, "not found"),
    ],
)
def test_pages_answer_errors_with_html_inside_the_navigation(
    client, factory: Factory, url: str, status: int, says: str
) -> None:
    _sign_in(client, factory)
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert says in response.text
    assert 'href="/book"' in response.text and "<nav" in response.text  # navigation kept


def test_signed_out_visitors_get_the_html_page_without_navigation(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<nav" not in response.text


def test_the_api_keeps_problem_json(client, factory: Factory) -> None:
    headers = factory.headers(factory.user("admin"))
    for url, status in (("/api/v1/no-such-thing", 404), ("/api/v1/accounts/abc", 422)):
        response = client.get(url, headers=headers)
        assert response.status_code == status
        assert response.headers["content-type"].startswith("application/problem+json")


def test_api_docs_load_swagger_ui_from_steward_itself(client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text.split("<body")[1]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs/assets/{asset}" in page.text
        served = client.get(f"/docs/assets/{asset}")
        assert served.status_code == 200 and len(served.content) > 10_000


def test_the_repository_carries_its_licence() -> None:
    root = Path(__file__).resolve().parents[2]
    licence = (root / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0" in licence
    assert 'license = "Apache-2.0"' in (root / "pyproject.toml").read_text()
