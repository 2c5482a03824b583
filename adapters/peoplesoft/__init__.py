"""Oracle PeopleSoft through Integration Broker REST (``kind = "peoplesoft"``)."""
