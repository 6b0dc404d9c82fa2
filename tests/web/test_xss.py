"""Stored XSS (issue 7 §3): a corpus of script payloads saved in names, notes, titles and a
survey comment renders as text on every page a reader can reach. Chromium crawls every
same-site page linked from the book and the payload account (as a director, who sees all),
and fails on any dialog, any payload that ran, and any element the payloads injected."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx
from sqlalchemy import select

from steward.db import Database
from steward.delivery.models import OutboundMessage
from tests.web.conftest import login, shot

# Each sets window.__xss (or opens a dialog) if the browser ever runs it.
CORPUS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload=window.__xss=1>',
    '\'><iframe srcdoc="<script>parent.__xss=1</script>">',
    "</textarea><script>window.__xss=1</script>",
    "javascript:window.__xss=1//",
    "{{7*7}} ${alert(1)} '-alert(1)-'",
    '<a href="javascript:window.__xss=1" id=xss-link>click</a>',
]
SKIPPED = re.compile(r"/logout|/exports/|\.csv|\.yaml|/s/|/static/|/assets/")
MAX_PAGES = 70


def _api(base: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"email": "admin@example.com", "password": "steward-demo"},
        timeout=60,
    ).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _plant(base: str, data_dir: Path) -> int:
    """The corpus in every kind of free text, on an account of its own."""
    api = _api(base)

    def post(path: str, body: dict) -> dict:  # type: ignore[type-arg]
        response = api.post(path, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    account = post("/api/v1/accounts", {"name": "Zz " + CORPUS[1], "segment": "smb"})
    account_id = account["id"]
    api.patch(f"/api/v1/accounts/{account_id}", json={"industry": CORPUS[2][:80]})
    contact = post(
        "/api/v1/contacts",
        {
            "account_id": account_id,
            "first_name": CORPUS[0][:100],
            "last_name": CORPUS[3][:100],
            "title": CORPUS[4],
            "email": "xss@zz-corpus.example",
        },
    )
    post(
        "/api/v1/activities",
        {
            "account_id": account_id,
            "contact_id": contact["id"],
            "type": "meeting",
            "subject": CORPUS[5],
            "body": "\n".join(CORPUS),
            "occurred_at": "2026-11-20T10:00:00Z",
        },
    )
    post("/api/v1/tasks", {"account_id": account_id, "title": CORPUS[6], "description": CORPUS[7]})
    post(
        "/api/v1/escalations",
        {
            "account_id": account_id,
            "title": CORPUS[7],
            "description": CORPUS[0],
            "severity": "p2",
            "team": "support",
        },
    )
    post("/api/v1/success-plans", {"account_id": account_id, "title": CORPUS[1]})
    post(
        "/api/v1/opportunities",
        {
            "account_id": account_id,
            "name": CORPUS[2],
            "type": "upsell",
            "amount": "1000",
            "close_date": "2027-01-31",
        },
    )
    sent = post(
        "/api/v1/surveys", {"kind": "nps", "name": CORPUS[3], "contact_ids": [contact["id"]]}
    )
    assert sent["invited"] == 1
    # The survey link is only in the e-mail; read it where the e-mail waits.
    db = Database(f"sqlite:///{data_dir / 'steward.db'}")
    try:
        with db.session() as session:
            body = session.scalars(
                select(OutboundMessage.body).where(
                    OutboundMessage.recipient == "xss@zz-corpus.example"
                )
            ).one()
    finally:
        db.dispose()
    link = re.search(r"(/s/\S+)", body).group(1)  # type: ignore[union-attr]
    csrf_free = httpx.post(f"{base}{link}", data={"score": "3", "comment": "\n".join(CORPUS)})
    assert csrf_free.status_code == 200, csrf_free.text
    return int(account_id)


def test_a_stored_xss_corpus_renders_as_text_on_every_page(  # type: ignore[no-untyped-def]
    live_server, live_data_dir, page
) -> None:
    account_id = _plant(live_server, live_data_dir)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, "director@example.com")
    queue = [f"/accounts/{account_id}", "/book", "/surveys", "/escalations", "/today"]
    seen: set[str] = set()
    host = urlparse(live_server).netloc
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status < 500, path
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__xss === undefined"), f"a payload ran on {path}"
        injected = page.evaluate(
            """() => [...document.querySelectorAll('*')].filter(e =>
                   ['script', 'iframe', 'svg'].includes(e.localName) && /__xss/.test(e.outerHTML)
                   || [...e.attributes].some(a => /^on/.test(a.name) && /__xss/.test(a.value))
                   || (e.getAttribute('href') || '').startsWith('javascript:')
               ).map(e => e.outerHTML.slice(0, 120))"""
        )
        assert injected == [], f"{path} holds injected markup: {injected}"
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlparse(urljoin(f"{live_server}{path}", href))
            if url.netloc == host and not SKIPPED.search(url.path):
                target = url.path + (f"?{url.query}" if url.query else "")
                if target not in seen:
                    queue.append(target)
    assert dialogs == []
    assert len(seen) >= 30, sorted(seen)
    # The payloads are shown, as text, where they were written.
    page.goto(f"{live_server}/accounts/{account_id}")
    assert "Zz " + CORPUS[1] in page.locator("h1").inner_text()
    shot(page, "xss-corpus-account")
    assert CORPUS[0] in page.locator("main").inner_text()  # the contact's first name
    page.goto(f"{live_server}/surveys")
    assert CORPUS[0] in page.locator("main").inner_text()  # the survey comment
