"""The ``[people]`` profile section (re-exported): the model lives in ``adapters.people_settings``
because the identity-provider adapters take it, and adapters import nothing from ``reconcile``."""

from adapters.people_settings import PeopleSettings

__all__ = ["PeopleSettings"]
