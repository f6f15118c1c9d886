-- A security's dividends by the security they pay on: GET /assets/:asset/dividends reads those of
-- one security, a page at a time, instead of decoding every dividend since its issuance. Written
-- by the statement that stores a block (ChainStore.saveBlock); the blocks stored before are
-- indexed here, so every database answers the same whatever version stored its blocks.
--
-- The security is the first field of a dividend's body: the 32 bytes after the version and kind
-- bytes (PROTOCOL.md Part I §4). This one function reads it, here and when a block is stored.
CREATE FUNCTION strongbox_dividend_asset(tx bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT substring(tx FROM 3 FOR 32) $$;

CREATE TABLE asset_dividends (
  asset bytea NOT NULL,
  height bigint NOT NULL,
  position integer NOT NULL,
  txid bytea NOT NULL,
  PRIMARY KEY (asset, height, position)
);

-- 6 is the dividend kind (TxKind in transaction/types.ts).
INSERT INTO asset_dividends (asset, height, position, txid)
SELECT strongbox_dividend_asset(bytes), height, position, txid FROM transactions WHERE kind = 6;

-- The table above finds a security's dividends; the index of every dividend (008) served only that.
DROP INDEX transactions_dividends;
