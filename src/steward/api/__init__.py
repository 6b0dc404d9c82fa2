"""Kit: the JSON API shell (problem+json errors, paging, ETags, limits, authentication as a
protocol the auth domain fills). Imports no domain."""
