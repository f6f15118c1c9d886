-- A proposer logs its block (up to 4 MB) in its consensus log record, deleted again once the height
-- is stored. Postgres tried to compress every such record before moving it out of line (pglz, the
-- only method this server has): CPU spent on signatures and keys, which hardly compress, for a row
-- that lives a few hundred milliseconds. Stored out of line as it is from now on; the rows already
-- there keep their form. PERFORMANCE.md, "What Postgres costs per final transfer" (2026-12-07).
ALTER TABLE consensus_wal ALTER COLUMN record SET STORAGE EXTERNAL;
