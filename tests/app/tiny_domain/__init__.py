"""A domain that exists only for tests/app/test_composition.py: one table, one API route, one
page, one job and one event handler, registered by adding its name to the composition root's
list, with no kit edited."""
