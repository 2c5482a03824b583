"""Okta as the people side's identity provider (Management API, ``/api/v1``)."""
