-- Companies belong to an owner (security review, finding 3); see the PostgreSQL migration
-- 0007_company_owners.sql for why and how existing data is split. Same steps here.

ALTER TABLE companies ADD COLUMN owner_id TEXT REFERENCES users (id);

-- One row per (company, owner of an invoice naming it); `nth` 1 is the first such owner.
-- The copy's id is made in two steps: SQLite may evaluate `randomblob()` once per use in an
-- expression, so the random bytes are stored first and then formatted as a UUID (version 4).
CREATE TABLE company_owner_split AS
SELECT company_id,
       owner_id,
       ROW_NUMBER() OVER (PARTITION BY company_id ORDER BY first_at, owner_id) AS nth,
       lower(hex(randomblob(16))) AS random_hex,
       NULL AS new_id
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

UPDATE company_owner_split SET new_id =
    substr(random_hex, 1, 8) || '-' || substr(random_hex, 9, 4) || '-4' ||
    substr(random_hex, 14, 3) || '-' ||
    substr('89ab', 1 + (unicode(substr(random_hex, 17, 1)) % 4), 1) ||
    substr(random_hex, 18, 3) || '-' || substr(random_hex, 21, 12);

-- The old index made a VAT id unique across everybody; the copies repeat VAT ids.
DROP INDEX companies_kind_vat_id;
DROP INDEX companies_kind_name;

UPDATE companies SET owner_id = (
    SELECT s.owner_id FROM company_owner_split s
    WHERE s.company_id = companies.id AND s.nth = 1
);

INSERT INTO companies (id, owner_id, kind, name, normalized_name, vat_id, tax_number, country,
                       address, created_at, updated_at)
SELECT s.new_id, s.owner_id, c.kind, c.name, c.normalized_name, c.vat_id, c.tax_number,
       c.country, c.address, c.created_at, c.updated_at
FROM company_owner_split s
JOIN companies c ON c.id = s.company_id
WHERE s.nth > 1;

-- `IS` is SQLite's null-safe equality: invoices of nobody go to nobody's copy.
UPDATE invoices SET vendor_id = (
    SELECT s.new_id FROM company_owner_split s
    WHERE s.company_id = invoices.vendor_id AND s.nth > 1 AND s.owner_id IS invoices.owner_id
)
WHERE EXISTS (
    SELECT 1 FROM company_owner_split s
    WHERE s.company_id = invoices.vendor_id AND s.nth > 1 AND s.owner_id IS invoices.owner_id
);

UPDATE invoices SET customer_id = (
    SELECT s.new_id FROM company_owner_split s
    WHERE s.company_id = invoices.customer_id AND s.nth > 1 AND s.owner_id IS invoices.owner_id
)
WHERE EXISTS (
    SELECT 1 FROM company_owner_split s
    WHERE s.company_id = invoices.customer_id AND s.nth > 1 AND s.owner_id IS invoices.owner_id
);

DROP TABLE company_owner_split;

-- A VAT id identifies one company per owner (and once among the companies of nobody: NULLs
-- are distinct in a unique index, hence the second index).
CREATE UNIQUE INDEX companies_owner_kind_vat_id ON companies (owner_id, kind, vat_id)
    WHERE vat_id IS NOT NULL AND owner_id IS NOT NULL;
CREATE UNIQUE INDEX companies_unowned_kind_vat_id ON companies (kind, vat_id)
    WHERE vat_id IS NOT NULL AND owner_id IS NULL;
-- Matching by name and the company list, within one owner.
CREATE INDEX companies_owner_kind_name ON companies (owner_id, kind, normalized_name);
