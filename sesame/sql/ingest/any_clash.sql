-- any_clash: whether a table's incoming rows share a key with its stored ones (clashes, usually
-- empty): only then do stored rows give way to them (sesame/ingest.py, _merge).
-- depends on: clashes
select exists (from clashes) as any_clash
