"""Authentication: passwords checked with login limits, browser sessions and trusted devices,
API tokens; the kit's Authenticator (token_principal, signed_in) and the login pages."""
