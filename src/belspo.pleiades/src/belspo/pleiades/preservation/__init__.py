"""Long-term preservation: the nightly verified backup, fixity, repair, drills.

The primary and the backup are two instances, each rendered from its profile
(``profiles/<name>/zope.conf.in``) into its own directory: the primary usually
``development`` (SQLite) or ``production`` (PostgreSQL), the backup ``backup``
(SQLite on the backup volume) or ``backup-postgresql``. Both keep their blobs
in a blob directory (``shared-blob-dir``), never in the database.

A backup run writes a report (a dict, saved as JSON and recorded in the
primary portal) with these keys:

- ``run_id`` (the start, ISO 8601 UTC), ``started``, ``finished``,
  ``duration_s``, ``status`` (``"ok"`` or ``"failed"``), ``primary`` and
  ``backup`` (descriptions without passwords), ``first_copy`` (bool);
- what was copied: ``transactions``, ``objects``, ``blobs``, ``bytes``,
  ``deleted`` (objects removed from the backup because the primary no longer
  has them);
- what was checked: ``last_tid_primary``, ``last_tid_backup`` (hex),
  ``products_primary``, ``products_backup``, ``verified_new``,
  ``verified_rolling``, ``bytes_verified``;
- ``problems``: a list of ``{"kind", "detail", "oid", "path"}``; any problem
  makes the status ``"failed"``.
"""
