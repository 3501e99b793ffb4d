"""Database backends of ShopWatch's own (see docs/decisions/0006-sqlite-write-lock.md)."""
