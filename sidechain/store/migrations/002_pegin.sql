-- Peg-in bookkeeping of one member: which deposit scripts it watches, where it is in the Bitcoin
-- chain, and the deposits that reached the confirmation depth and wait for their mint. The mint
-- itself is a ledger fact (pegin_mints); a confirmed deposit leaves this table only by a reorg.
CREATE TABLE pegin_registrations (
  script bytea PRIMARY KEY,
  recipient bytea NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bitcoin_follower (
  id integer PRIMARY KEY CHECK (id = 1),
  state text NOT NULL
);

CREATE TABLE pegin_confirmed (
  bitcoin_txid text NOT NULL,
  bitcoin_vout integer NOT NULL,
  amount numeric(20, 0) NOT NULL,
  recipient bytea NOT NULL,
  height integer NOT NULL,
  PRIMARY KEY (bitcoin_txid, bitcoin_vout)
);
