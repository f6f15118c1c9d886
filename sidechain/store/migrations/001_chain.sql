-- The final chain. Every row below is written in the one database transaction that stores a
-- block, so after any crash the database holds whole blocks or nothing of them.
CREATE TABLE blocks (
  height bigint PRIMARY KEY,
  hash bytea NOT NULL UNIQUE,
  header bytea NOT NULL,
  -- the commit certificate: round and >= k precommit signatures over the header hash
  commit bytea NOT NULL,
  tx_count integer NOT NULL,
  time_ms bigint NOT NULL
);

CREATE TABLE transactions (
  txid bytea PRIMARY KEY,
  height bigint NOT NULL REFERENCES blocks (height),
  position integer NOT NULL,
  kind smallint NOT NULL,
  bytes bytea NOT NULL,
  UNIQUE (height, position)
);

-- The unspent outputs: the ledger's state, loaded into memory at start.
CREATE TABLE utxos (
  txid bytea NOT NULL,
  vout integer NOT NULL,
  owner bytea NOT NULL,
  asset bytea NOT NULL,
  amount numeric(20, 0) NOT NULL CHECK (amount > 0),
  height bigint NOT NULL,
  PRIMARY KEY (txid, vout)
);
CREATE INDEX utxos_by_owner ON utxos (owner, asset);

-- One Bitcoin outpoint mints at most once: the ledger enforces it, the key repeats it.
CREATE TABLE pegin_mints (
  bitcoin_txid bytea NOT NULL,
  bitcoin_vout integer NOT NULL,
  txid bytea NOT NULL,
  height bigint NOT NULL,
  amount numeric(20, 0) NOT NULL,
  PRIMARY KEY (bitcoin_txid, bitcoin_vout)
);

CREATE TABLE pegout_burns (
  txid bytea PRIMARY KEY,
  height bigint NOT NULL,
  destination_script bytea NOT NULL,
  amount numeric(20, 0) NOT NULL
);

-- What this member signed, written before the signature leaves the process.
CREATE TABLE consensus_wal (
  height bigint NOT NULL,
  seq bigserial,
  record bytea NOT NULL,
  PRIMARY KEY (height, seq)
);

CREATE TABLE evidence (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  member_index integer NOT NULL,
  height bigint NOT NULL,
  bytes bytea NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
