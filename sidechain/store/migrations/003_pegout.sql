-- Burns an operator of this member approved past the circuit breaker. Approval is local: each
-- member's operator decides for their own signature.
CREATE TABLE pegout_approvals (
  burn_txid bytea PRIMARY KEY,
  approved_at timestamptz NOT NULL DEFAULT now()
);
