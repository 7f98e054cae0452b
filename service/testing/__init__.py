"""Test helpers for synthgen, such as the fake OpenAI-compatible model server."""
