"""The report builder: a governed list of measures, each computed by the engine the fixed
pages use (one definition), grouped by up to two dimensions, scoped by the book rule."""
