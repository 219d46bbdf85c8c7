"""PostGIS backend: push layers into a database, pull them back, run the siting check there.

``fzgeo.db.push.push(layers, dsn)`` writes layers (and their pre-subdivided pieces) into the
``fzgeo`` schema, ``fzgeo.db.pull.pull(dsn)`` reads them back, and ``fzgeo.db.check`` measures
sites against pushed constraint layers inside the database. Needs the ``db`` extra (psycopg 3).
See docs/database.md.
"""
