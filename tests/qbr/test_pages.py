"""QBR packs from the pages: Account 360 offers the recent quarters and hands over the file; an
admin sets the template (a logo upload included) and a bad one is refused naming the field."""

from __future__ import annotations

import io
from typing import Any

from pptx import Presentation

from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in
from tests.qbr.test_packs import QUARTER, _account

# The smallest PNG: one transparent pixel.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000005000171a8b4c00000000049454e44ae426082"
)


def test_account_360_hands_over_the_pack(client: Any, factory: Factory) -> None:
    world = _account(factory)
    _sign_in(client, world["am"].email)
    account_id = world["account"].id
    page = client.get(f"/accounts/{account_id}").text
    assert 'id="qbr-form"' in page and f'<option value="{QUARTER}"' in page
    deck = client.get(f"/accounts/{account_id}/qbr", params={"period": str(QUARTER)})
    assert deck.status_code == 200 and "attachment" in deck.headers["content-disposition"]
    assert len(Presentation(io.BytesIO(deck.content)).slides) == 11  # a title and 10 pages
    pdf = client.get(
        f"/accounts/{account_id}/qbr", params={"period": str(QUARTER), "format": "pdf"}
    )
    assert pdf.content.startswith(b"%PDF")
    bad = client.get(f"/accounts/{account_id}/qbr", params={"period": "2026-Q9"})
    assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
    assert "period" in bad.text
    assert "QBR 20" in client.get(f"/accounts/{account_id}").text  # the drafted activity


def test_an_admin_sets_the_template(client: Any, factory: Factory) -> None:
    world = _account(factory)
    admin = factory.user("admin")
    csrf = _sign_in(client, admin.email)
    assert client.get("/admin/qbr").status_code == 200
    form = {
        "csrf_token": csrf,
        "company_name": "Acme Success",
        "primary_color": "#0f766e",
        "accent_color": "#f59e0b",
        "sections": ["health", "value"],
    }
    saved = client.post("/admin/qbr", data=form, files={"logo": ("logo.png", PIXEL, "image/png")})
    assert saved.status_code == 200 and 'id="qbr-saved"' in saved.text
    deck = client.get(f"/accounts/{world['account'].id}/qbr", params={"period": str(QUARTER)})
    slides = Presentation(io.BytesIO(deck.content)).slides
    assert len(slides) == 4  # title, summary, health, value
    assert any(shape.shape_type == 13 for shape in slides[0].shapes)  # the logo (a picture)

    not_an_image = client.post(
        "/admin/qbr", data=form, files={"logo": ("logo.png", b"GIF89a...", "image/png")}
    )
    assert not_an_image.status_code == 422 and "PNG or JPEG" in not_an_image.text
    bad_colour = client.post("/admin/qbr", data=form | {"primary_color": "teal"})
    assert bad_colour.status_code == 422 and "Primary color" in bad_colour.text
    kept = client.get("/api/v1/qbr/template", headers=factory.headers(admin)).json()
    assert kept["primary_color"] == "#0f766e" and kept["has_logo"] is True

    _sign_in(client, world["am"].email)
    assert client.get("/admin/qbr").status_code == 403
