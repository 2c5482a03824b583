"""Oracle E-Business Suite through Integrated SOA Gateway REST (contract section 6).

Parts, as for ``adapters/sap``: ``settings`` (the ``[erp]`` keys of an EBS profile),
``wire`` (the ISG JSON conventions shared with the simulator), ``auth`` (the ISG
session as an ``httpx.Auth`` flow), ``client`` (procedure calls, paging, retries,
errors), ``models`` (wire rows), ``adapter`` (the ``SourceAdapter``), ``canonical``
(raw rows to frames), ``push`` (GL journals through GL_INTERFACE and Journal Import)
and ``simulator`` (the same API over loopback). The PL/SQL the EBS team deploys is
in ``docs/oracle-ebs.md``.
"""
