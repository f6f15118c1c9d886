-- Read-only credentials this member's operator issued to auditors and regulators. Only the
-- SHA-256 of each secret is kept, so a copy of this table lets nobody in; a credential is looked
-- up by its public id and compared in constant time. Revoked credentials stay for the record.
CREATE TABLE role_credentials (
  id text PRIMARY KEY,
  role text NOT NULL CHECK (role IN ('auditor', 'regulator')),
  name text NOT NULL,
  secret_sha256 bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
