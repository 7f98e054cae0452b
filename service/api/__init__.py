"""The HTTP API (Litestar): routes only; the logic lives in serving.py."""
