"""`python -m steward`: the `steward` command (how `steward serve` starts its job worker)."""

from steward.cli.main import app

app(prog_name="steward")
