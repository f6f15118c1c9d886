-- A security's dividends, found without reading every transaction of the chain: `strongbox
-- dividend` asks for those already paid (GET /assets/:asset/dividends) so that the same command
-- run twice does not pay the holders twice. 6 is the dividend kind (TxKind in transaction/types.ts).
CREATE INDEX transactions_dividends ON transactions (height) WHERE kind = 6;
