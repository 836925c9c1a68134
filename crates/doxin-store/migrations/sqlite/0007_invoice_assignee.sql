-- Assignment of an invoice to a reviewer (issue 13). The reviewer stays assigned when the
-- invoice is decided; a deleted user cannot exist (users are deactivated, never deleted).
ALTER TABLE invoices ADD COLUMN assignee_id TEXT REFERENCES users (id);
CREATE INDEX invoices_assignee ON invoices (assignee_id, created_at) WHERE assignee_id IS NOT NULL;
