-- Which transaction spent each spent output, and with which of its inputs: what an explorer shows
-- as "spent by", and how the seller of a delivery-versus-payment offer tells a taken offer from a
-- withdrawn one. Written by the statement that stores a block, outputs created and spent within
-- one block included. Blocks stored before this table existed are indexed when a member starts
-- (Chain.open, as it replays them), so the rows are complete up to their highest height.
CREATE TABLE output_spenders (
  txid bytea NOT NULL,
  vout integer NOT NULL,
  spent_by bytea NOT NULL,
  input integer NOT NULL,
  height bigint NOT NULL,
  PRIMARY KEY (txid, vout)
);
