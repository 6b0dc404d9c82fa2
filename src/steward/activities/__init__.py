"""Activities: calls, meetings, e-mails and notes logged on an account, and the last touch
they set on the account and its contacts."""
