"""Benchmark: the first sync of a 50,000-message mailbox, beside plain `imaplib` reading the
same mailbox, in one run.

A real Dovecot on loopback (Debian's dovecot-imapd, as the tests start it) serves one user
whose inbox holds --messages e-mails: threads of five between the user and contacts of
--accounts customer accounts (a tenth from domains no account claims, which wait in the review
queue). Measured, in this order:
- plain imaplib, cold: Dovecot indexes the Maildir on first access (reported, not compared);
- plain imaplib, warm: UID SEARCH, then UID FETCH of the same items Steward asks for, in the
  same batches, reading every answer and keeping nothing: the cost of the protocol alone;
- Steward's first sync (`sync_mailbox`): fetch, parse, match, thread, store, one activity
  per thread, last touch;
- a second sync, which must find nothing new and change nothing.
Memory: the process's resident size is sampled while Steward syncs and printed at each fifth
of the mailbox: flat means the last fifth needs no more than the first.

    python benchmarks/mail_sync.py [--messages 50000] [--accounts 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import imaplib
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the Dovecot and message helpers the tests use

from tests.support import dovecot as dovecot_server  # noqa: E402
from tests.support.mailgen import conversation  # noqa: E402

from steward.accounts.models import Account  # noqa: E402
from steward.activities.models import Activity  # noqa: E402
from steward.app import assemble  # noqa: E402
from steward.capture.imap import BATCH, PARTIAL, sync_mailbox  # noqa: E402
from steward.capture.models import Mailbox, MailboxFolder, MailMessage, ReviewItem  # noqa: E402
from steward.config import Settings  # noqa: E402
from steward.contacts.models import Contact  # noqa: E402
from steward.core.secrets import encrypt  # noqa: E402
from steward.db import Database  # noqa: E402
from steward.db.migrate import upgrade  # noqa: E402
from steward.users.models import User  # noqa: E402

USER = "amara"
OURS = "amara@vendor.example"
FETCH_ITEMS = f"(RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[]<0.{PARTIAL}>)"


def build_workspace(db: Database, settings: Settings, port: int, accounts: int) -> int:
    """A user, `accounts` accounts with a domain and a contact each, and the user's mailbox."""
    with db.session() as session:
        user = User(email=OURS, full_name="Amara Mensah", role="am", password_hash="x")
        session.add(user)
        session.flush()
        for n in range(accounts):
            account = Account(
                name=f"Customer {n}",
                domain=f"cust{n}.example",
                owner_am_id=user.id,
                segment="mid_market",
                tier="standard",
                lifecycle_stage="adopting",
            )
            session.add(account)
            session.flush()
            session.add(
                Contact(
                    account_id=account.id,
                    first_name="Jane",
                    last_name=f"Doe {n}",
                    email=f"jane@cust{n}.example",
                )
            )
        mailbox = Mailbox(
            user_id=user.id,
            host="127.0.0.1",
            port=port,
            security="none",
            username=USER,
            secret_encrypted=encrypt(settings, dovecot_server.PASSWORD),
            folders="[]",
            excluded_folders="[]",
        )
        session.add(mailbox)
        session.commit()
        return mailbox.id


def fill_mailbox(server: dovecot_server.Dovecot, messages: int, accounts: int) -> None:
    """Threads of five with a customer each; every tenth thread from an unknown domain."""
    per_domain = 500
    start = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    written = 0
    n = 0
    while written < messages:
        count = min(per_domain, messages - written)
        theirs = f"dana@unknown{n}.example" if n % 10 == 9 else f"jane@cust{n % accounts}.example"
        mails = conversation(
            count,
            ours=OURS,
            theirs=theirs,
            start=start + timedelta(days=n),
            prefix=f"d{n}-",
        )
        written += server.deliver_many(USER, iter(mails))
        n += 1


def plain_imaplib(port: int) -> int:
    """Reads what Steward reads, as a script with the standard library would, keeping nothing."""
    read = 0
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, dovecot_server.PASSWORD)
    for folder in ("INBOX", "Sent"):
        typ, _ = client.select(folder, readonly=True)
        if typ != "OK":
            continue
        _, data = client.uid("SEARCH", "ALL")
        uids = data[0].split() if data and data[0] else []
        for i in range(0, len(uids), BATCH):
            chunk = uids[i : i + BATCH]
            _, answer = client.uid("FETCH", b",".join(chunk).decode(), FETCH_ITEMS)
            read += sum(1 for part in answer if isinstance(part, tuple))
    client.logout()
    return read


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler(threading.Thread):
    """Resident size beside how many messages the sync has committed, twice a second."""

    def __init__(self, db: Database, mailbox_id: int) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.mailbox_id = mailbox_id
        self.samples: list[tuple[int, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            with self.db.session() as session:
                read = session.scalar(
                    select(func.coalesce(func.sum(MailboxFolder.messages), 0)).where(
                        MailboxFolder.mailbox_id == self.mailbox_id
                    )
                )
            self.samples.append((int(read or 0), rss_mib()))


def counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(MailMessage)) or 0,
            session.scalar(select(func.count()).select_from(Activity)) or 0,
            session.scalar(select(func.count()).select_from(ReviewItem)) or 0,
        )


def main() -> None:
    assemble()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--database-url", default="", help="e.g. postgresql+psycopg://… (emptied!)")
    args = parser.parse_args()
    if not dovecot_server.available():
        sys.exit("Dovecot is not installed (Debian: apt-get install dovecot-imapd)")

    workdir = Path(tempfile.mkdtemp(prefix="steward-mail-bench-"))
    settings = Settings(data_dir=workdir, secret_key="bench", capture_allow_private=True)
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    db = Database(url)
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(db)
    root = dovecot_server.mail_root()
    try:
        with dovecot_server.dovecot(root, (USER,)) as server:
            started = time.perf_counter()
            fill_mailbox(server, args.messages, args.accounts)
            server.maildir(USER, "Sent")
            mailbox_id = build_workspace(db, settings, server.port, args.accounts)
            print(
                f"mailbox: {args.messages:,} messages, {args.accounts} accounts,"
                f" {db.engine.dialect.name} (written in {time.perf_counter() - started:.1f} s)"
            )

            started = time.perf_counter()
            cold = plain_imaplib(server.port)
            t_cold = time.perf_counter() - started
            started = time.perf_counter()
            warm = plain_imaplib(server.port)
            t_plain = time.perf_counter() - started
            assert cold == warm == args.messages, (cold, warm)

            sampler = Sampler(db, mailbox_id)
            baseline_rss = rss_mib()
            sampler.start()
            started = time.perf_counter()
            report = sync_mailbox(db, settings, mailbox_id)
            t_sync = time.perf_counter() - started
            sampler.done.set()
            sampler.join()
            stored = counts(db)

            started = time.perf_counter()
            again = sync_mailbox(db, settings, mailbox_id)
            t_again = time.perf_counter() - started
            assert counts(db) == stored, "a second sync changed something"
            assert again.read == 0, again
    finally:
        shutil.rmtree(root, ignore_errors=True)

    assert report.read == args.messages, report
    print(f"plain imaplib, cold (Dovecot indexing): {t_cold:7.1f} s  {cold / t_cold:9,.0f} msg/s")
    print(f"plain imaplib, warm:                    {t_plain:7.1f} s  {warm / t_plain:9,.0f} msg/s")
    print(
        f"Steward first sync:                     {t_sync:7.1f} s"
        f"  {report.read / t_sync:9,.0f} msg/s"
        f"  (ratio to plain imaplib: {t_sync / t_plain:.2f}x the time)"
    )
    print(f"Steward second sync (nothing new):      {t_again:7.2f} s")
    print(
        f"stored: {stored[0]:,} messages, {stored[1]:,} activities (one per thread),"
        f" {stored[2]} domains in the review queue; report {report}"
    )
    print(f"resident size: {baseline_rss:.0f} MiB before the sync")
    fifth = args.messages // 5
    for mark in range(fifth, args.messages + 1, fifth):
        seen = [rss for read, rss in sampler.samples if read <= mark]
        if seen:
            print(f"  up to {mark:>7,} messages: peak {max(seen):6.0f} MiB")
    if sampler.samples:
        print(f"  whole sync:             peak {max(r for _, r in sampler.samples):6.0f} MiB")


if __name__ == "__main__":
    main()
