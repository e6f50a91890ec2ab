-- migrate:up
-- Access-token signing keys. The newest key with `retire_at` null signs; older keys stay in the
-- JWKS until `retire_at` (set at rotation to the moment their last token expires).
-- `private_key` is PKCS#8, AES-256-GCM encrypted when KEY_ENCRYPTION_SECRET is set
-- (`aes-256-gcm:v1:...`), otherwise stored as `plain:<pem>`.
create table signing_keys (
  kid text primary key,
  algorithm text not null,
  public_jwk jsonb not null,
  private_key text not null,
  created_at timestamptz not null default clock_timestamp(),
  retire_at timestamptz
);

-- migrate:down
drop table signing_keys;
