"""Microsoft Entra ID as the people side's identity provider (Microsoft Graph ``/v1.0``)."""
