-- pgvector for semantic search (HNSW), pg_trgm for fuzzy name search. `doxin migrate`
-- checks that both are available before it gets here, so a failure names pgvector clearly.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
