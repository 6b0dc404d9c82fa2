"""Automatic capture: mail (IMAP mailboxes and a logging address) flows into the timeline."""
