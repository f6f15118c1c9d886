-- Dividends a member stored while its database's schema was ahead of it: an operator command of a
-- newer release (role, pegout approve, pegin resume) migrated the database of a running member of
-- an older one, which went on storing blocks without their rows in asset_dividends, so that a
-- security's dividends lacked them (DECISIONS.md, "Only a member's start upgrades its database's
-- schema"). Indexed again from the stored transactions; rows already there are kept.
INSERT INTO asset_dividends (asset, height, position, txid)
SELECT strongbox_dividend_asset(bytes), height, position, txid FROM transactions WHERE kind = 6
ON CONFLICT DO NOTHING;
