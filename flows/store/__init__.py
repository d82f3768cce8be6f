"""DuckDB: connections and migrations, the run lock, and every statement that writes."""
