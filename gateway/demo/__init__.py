"""The demo billing database: schema.sql and its deterministic generator (generate.build)."""
