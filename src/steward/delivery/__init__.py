"""Delivery: the outbox (e-mail over SMTP, signed webhooks) with retries and back-off, and
in-app notifications."""
