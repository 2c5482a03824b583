"""The month-end close: the period and its cut-off, the tie-out per project, sign-off and lock,
this close against the last, and the period's evidence.

Modules (import them directly; this package imports nothing so ``reconcile.decisions`` can use
``state`` without a cycle): ``period`` (pure rules), ``cutoff`` (pure), ``tieout`` (pure totals
and their store query), ``compare`` (pure, plus the store query), ``state`` (working period,
lock), ``signoff`` (sign, review, readiness), ``mapping_changes`` (audited mapping edits),
``evidence`` (the period's XLSX), ``api`` (what the workstation calls).
"""
