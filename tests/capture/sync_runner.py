"""Runs one mailbox sync in a process of its own, so a test can kill it midway:
python -m tests.capture.sync_runner DATABASE_URL DATA_DIR MAILBOX_ID BATCH"""

from __future__ import annotations

import sys
from pathlib import Path

from steward.app import load_models
from steward.capture.imap import sync_mailbox
from steward.config import Settings
from steward.db.engine import Database

if __name__ == "__main__":
    url, data_dir, mailbox_id, batch = sys.argv[1:5]
    load_models()
    settings = Settings(data_dir=Path(data_dir), secret_key="test", capture_allow_private=True)
    report = sync_mailbox(Database(url), settings, int(mailbox_id), batch=int(batch))
    print(report.read)
