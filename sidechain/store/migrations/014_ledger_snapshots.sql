-- The ledger as of one final block, so that a start loads it and replays only the blocks above
-- instead of every block since the genesis (docs/DECISIONS.md, "A member starts from a snapshot
-- of its ledger"). A snapshot is written in one database transaction, its header row and every
-- chunk of its canonical encoding together: a crash while writing leaves the older ones as they
-- were. `digest` is the SHA-256 of the chunks' bytes in order; the start checks it, and that
-- `block_hash` is the stored block's at `height`, before trusting a snapshot.
CREATE TABLE ledger_snapshots (
  height bigint PRIMARY KEY,
  block_hash bytea NOT NULL,
  digest bytea NOT NULL,
  size bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_snapshot_chunks (
  height bigint NOT NULL REFERENCES ledger_snapshots (height) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  position integer NOT NULL,
  bytes bytea NOT NULL,
  PRIMARY KEY (height, position)
);

-- Keys, hashes and amounts hardly compress: Postgres would spend CPU trying on every chunk.
ALTER TABLE ledger_snapshot_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
