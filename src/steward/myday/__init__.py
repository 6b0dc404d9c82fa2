"""My Day: each person's day (renewals, red accounts, tasks, escalations, check-ins) and the
daily digest e-mail. Composes many domains; nothing below imports it."""
