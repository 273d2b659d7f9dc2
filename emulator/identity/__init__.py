"""Entra sign-in: OIDC endpoints, tokens, app registrations and OAuth errors."""
