-- The review queue and every status-filtered listing of a workspace, in upload order: one
-- index range read (the review page's previous/next, the queue's pages) instead of reading
-- all of a workspace's invoices of that status and sorting them. It covers what
-- invoices_workspace_status indexed (its prefix), so that one goes.
CREATE INDEX invoices_workspace_status_created ON invoices (workspace_id, status, created_at, id)
    WHERE deleted_at IS NULL;
DROP INDEX invoices_workspace_status;
