"""The people side: the identity provider's workforce against the Procore company directory.

Kept free of imports here: ``reconcile.profile`` imports ``reconcile.people.settings``, and a
package ``__init__`` that pulled in the diff would make every profile load import Polars rules.
"""
