"""Products: the catalogue (SKU, list price, billing period) and the billing vocabulary."""
