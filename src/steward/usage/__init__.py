"""Usage: product usage events (Segment's tracking API, files), their sources and ingestion."""
