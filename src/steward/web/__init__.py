"""Kit: the page shell (templates, filters, the signed-in context, CSRF, forms, HTML error
pages, static assets). Imports no domain."""
