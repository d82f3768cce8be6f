"""Pure parsing and extraction: bytes and text in, items and events out. No network, DB or Prefect."""
