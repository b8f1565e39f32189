"""`palmares publish`: the palmarès as an open-data package (Frictionless Data Package).

- `tables.py`: which tables are published, their keys, and their Table Schemas derived from
  schema.sql (types, required columns, enumerations) with the French texts of `fields.py`;
- `licences.py`: the licences and sources of each table, read from the `source` table (the
  manifests of data/raw), never invented;
- `package.py`: the files (CSV and Parquet), `datapackage.json`, and their validation;
- `readme.py`: the package's README in French; `changelog.py`: what changed since an earlier
  package; `command.py`: the command.
"""
