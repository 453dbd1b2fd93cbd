-- API keys, stored hashed (SHA-256 of a 192-bit random key: no slow hash needed). The key itself is
-- shown once, at creation.
CREATE TABLE api_keys (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  role        text NOT NULL CHECK (role IN ('admin', 'operator', 'auditor', 'gateway')),
  scopes      text[] NOT NULL DEFAULT '{}',
  key_hash    text NOT NULL UNIQUE,
  created_by  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
