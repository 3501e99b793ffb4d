"""ASGI entry point: `uvicorn shopwatch.asgi:application` (what `shopwatch serve` runs)."""

from shopwatch.core.asgi import application

__all__ = ["application"]
