-- A final block and every row it changes are written by one statement (ChainStore.saveBlock), so
-- storing a block is one round trip to the server. This lets that statement refuse, and so write
-- nothing of the block, when the outputs it deletes are not the ones the ledger says it spends.
CREATE FUNCTION strongbox_require(ok boolean, reason text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT ok THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = reason;
  END IF;
  RETURN ok;
END
$$;
