-- A transaction's row named its block's through a foreign key, which Postgres checks row by row
-- after the statement (a lookup and a lock of the block's row for every transaction): about a
-- tenth of the server's work in storing a block of transfers. The key proved nothing the writer
-- does not already ensure: a block and its transactions are written by one statement
-- (ChainStore.saveBlock) or not at all, and no block is ever deleted. PERFORMANCE.md, 2026-12-07.
ALTER TABLE transactions DROP CONSTRAINT transactions_height_fkey;
