-- Companies belong to an owner (security review, finding 3). Until now one company record was
-- shared by everybody: a user naming a guessed seller got another user's record back (VAT id,
-- tax number), and a VAT id one user typed was learnt into a record other users' invoices
-- show. From here on each owner has their own companies; matching, listing and changes stay
-- within one owner. `owner_id` says "owner", not "user", so that workspaces can own them later.
--
-- Existing data: each company goes to the owners whose invoices name it. A company named by
-- several owners' invoices is split: the owner whose invoice named it first keeps the record
-- (and its id), every other owner gets a copy, and their invoices (deleted ones too) are
-- re-pointed to their copy. Invoices of nobody (the anonymous era) count as one more owner,
-- "nobody". A company no invoice names stays without owner: only administrators see it.

ALTER TABLE companies ADD COLUMN owner_id uuid REFERENCES users (id);

-- One row per (company, owner of an invoice naming it); `nth` 1 is the first such owner.
CREATE TABLE company_owner_split AS
SELECT company_id,
       owner_id,
       ROW_NUMBER() OVER (PARTITION BY company_id ORDER BY first_at, owner_id) AS nth,
       gen_random_uuid() AS new_id
FROM (
    SELECT company_id, owner_id, MIN(created_at) AS first_at
    FROM (
        SELECT vendor_id AS company_id, owner_id, created_at
        FROM invoices WHERE vendor_id IS NOT NULL
        UNION ALL
        SELECT customer_id AS company_id, owner_id, created_at
        FROM invoices WHERE customer_id IS NOT NULL
    ) AS named
    GROUP BY company_id, owner_id
) AS firsts;

-- The old index made a VAT id unique across everybody; the copies repeat VAT ids.
DROP INDEX companies_kind_vat_id;
DROP INDEX companies_kind_name;

UPDATE companies SET owner_id = s.owner_id
FROM company_owner_split s
WHERE s.company_id = companies.id AND s.nth = 1;

INSERT INTO companies (id, owner_id, kind, name, normalized_name, vat_id, tax_number, country,
                       address, created_at, updated_at)
SELECT s.new_id, s.owner_id, c.kind, c.name, c.normalized_name, c.vat_id, c.tax_number,
       c.country, c.address, c.created_at, c.updated_at
FROM company_owner_split s
JOIN companies c ON c.id = s.company_id
WHERE s.nth > 1;

UPDATE invoices SET vendor_id = s.new_id
FROM company_owner_split s
WHERE s.company_id = invoices.vendor_id AND s.nth > 1
  AND s.owner_id IS NOT DISTINCT FROM invoices.owner_id;

UPDATE invoices SET customer_id = s.new_id
FROM company_owner_split s
WHERE s.company_id = invoices.customer_id AND s.nth > 1
  AND s.owner_id IS NOT DISTINCT FROM invoices.owner_id;

DROP TABLE company_owner_split;

-- A VAT id identifies one company per owner (and once among the companies of nobody: NULLs
-- are distinct in a unique index, hence the second index).
CREATE UNIQUE INDEX companies_owner_kind_vat_id ON companies (owner_id, kind, vat_id)
    WHERE vat_id IS NOT NULL AND owner_id IS NOT NULL;
CREATE UNIQUE INDEX companies_unowned_kind_vat_id ON companies (kind, vat_id)
    WHERE vat_id IS NOT NULL AND owner_id IS NULL;
-- Matching by name and the company list, within one owner.
CREATE INDEX companies_owner_kind_name ON companies (owner_id, kind, normalized_name);
