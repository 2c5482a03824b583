"""The workstation's flows, one module each, composed by ``app.TieoutApp``.

Threading rule (after Harlequin): every database and network call runs in a
``@work(thread=True, exclusive=True, exit_on_error=False)`` worker that never touches a
widget; it posts a message, and an ``@on`` handler on the App updates state and screens.
Each flow module holds its messages, its workers and its handlers:

- ``pull``: ``PullRequested → PullProgress* → PullFinished → DiffFinished`` (and the plan);
- ``detail``: open an exception (``DataChanged`` after a push refreshes the screens);
- ``decide``: explain, assign, repeat, on one exception or many; move on to the next undecided;
- ``push``: which side, the plan, the confirm dialog, the write; one at a time, queued;
- ``mapping``: edit a mapping row, preview its effect, keep or discard it;
- ``export``: where and what, overwrite only when the analyst says so, the write.
"""
