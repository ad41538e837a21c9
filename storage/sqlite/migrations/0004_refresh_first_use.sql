-- When a refresh token was first rotated: the start of its reuse grace
-- window (lifetimes.refresh_reuse_grace). NULL: never used, or revoked.
ALTER TABLE token_sessions ADD COLUMN first_used_at INTEGER;
