-- PostgreSQL's default random_page_cost (4) prices a random read as a disk seek. On the
-- SSDs and cloud volumes DoxIn runs on, a random read costs about what a sequential one does
-- (1.1 is the usual setting), and the default misleads the planner in one way that matters
-- here (issue 16): for a workspace's search or name filter it builds a bitmap of the whole
-- workspace (200,000 entries at 1,000,000 invoices, ~30 ms) to save heap reads that cost
-- less than that, instead of reading the few thousand matches the text index finds. The
-- setting is made for this database only, and only while the server runs with the default
-- (a value an administrator chose is left alone); without the right to alter the database
-- the migration says so and goes on.
DO $$
BEGIN
    IF current_setting('random_page_cost') = '4' THEN
        EXECUTE format('ALTER DATABASE %I SET random_page_cost = 1.1', current_database());
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'random_page_cost left at the default: %', SQLERRM;
END
$$;
