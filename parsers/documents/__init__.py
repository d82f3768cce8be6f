"""Fetched documents to Items: feeds, HTML listings, the legal-portal API, article text, identity."""
